import { Annotations, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, IConstruct } from 'constructs';
import {
  describeSelection, endpointResource, internetRoutes, isInspectable, privateDnsCognitoIdentityEndpointsIn,
  routeTableOf, s3GatewayEndpointsIn, subnetName,
} from './network-inspection';

export interface PrivateNetworkProps {
  /** A VPC of the user; a new isolated one when undefined. */
  readonly vpc?: ec2.IVpc;
  /** Subnets of `vpc` dedicated to the lake's handlers (and its endpoints). */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** An S3 gateway endpoint of `vpc` to use instead of creating one. */
  readonly s3Endpoint?: ec2.IGatewayVpcEndpoint;
  /** A Cognito Identity interface endpoint of `vpc` to use instead of creating one. */
  readonly cognitoIdentityEndpoint?: ec2.IInterfaceVpcEndpoint;
  /** Place the created Cognito Identity endpoint only in availability zones that offer the service (a lookup at synthesis). */
  readonly lookupSupportedAzs?: boolean;
  /** The identity pool whose token exchanges the Cognito Identity endpoint carries. */
  readonly identityPoolArn: string;
  readonly bucket: s3.IBucket;
  readonly logsKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/** Warning ids of the network, for `Annotations` and for acknowledging them in an app. */
export const NETWORK_WARNINGS = {
  internetRoute: 'cdk-health-data-lake:HandlerSubnetsReachInternet',
  uninspectable: 'cdk-health-data-lake:NetworkNotVerifiable',
};

const COGNITO_IDENTITY_ACTIONS = ['cognito-identity:GetId', 'cognito-identity:GetCredentialsForIdentity'];
const LAKE_OBJECT_ACTIONS = ['s3:GetObject', 's3:PutObject', 's3:PutObjectTagging'];

/**
 * The only network path to the lake: handlers run in subnets dedicated to them and reach S3 through
 * a gateway endpoint (which the lake's policies require: the API-only gate) and Cognito Identity
 * through an interface endpoint.
 *
 * The gate `aws:SourceVpce = <S3 endpoint>` means "anything whose S3 traffic goes through that
 * endpoint", that is every workload on the route tables it is attached to. So the endpoint is either
 * the construct's own, attached only to the lake's subnets (a new isolated VPC, or subnets of the
 * user's VPC that the user names and dedicates to the lake), or one the user passes and vouches for.
 * Combinations that would widen that set silently, or that cannot deploy, fail at synthesis.
 */
export class PrivateNetwork extends Construct {
  public readonly vpc: ec2.IVpc;
  /** The handlers' subnets, as a selection of exactly those subnets. */
  public readonly subnets: ec2.SubnetSelection;
  /** The S3 gateway endpoint of the API-only gate (the construct's own, or the one passed in). */
  public readonly s3Endpoint: ec2.IGatewayVpcEndpoint;
  /** The Cognito Identity interface endpoint (the construct's own, or the one passed in). */
  public readonly cognitoIdentityEndpoint: ec2.IInterfaceVpcEndpoint;
  /** The security group of the handlers: HTTPS out only. */
  public readonly handlerSecurityGroup: ec2.SecurityGroup;

  /** The endpoints this network created, whose policies other lakes that share them extend. */
  private readonly ownS3Endpoint?: ec2.GatewayVpcEndpoint;
  private readonly ownCognitoIdentityEndpoint?: ec2.InterfaceVpcEndpoint;

  constructor(scope: Construct, id: string, props: PrivateNetworkProps) {
    super(scope, id);
    validateCombination(props);

    let handlerSubnets: ec2.ISubnet[];
    if (props.vpc) {
      this.vpc = props.vpc;
      handlerSubnets = selectHandlerSubnets(props.vpc, props.vpcSubnets);
    } else {
      this.vpc = this.newIsolatedVpc(props);
      handlerSubnets = this.vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_ISOLATED }).subnets;
    }
    this.subnets = { subnets: handlerSubnets };
    // Endpoints in a VPC of the user belong to this lake (two lakes may share one VPC); in the lake's
    // own VPC they stay where earlier versions put them, so that an update does not replace them
    // (a replacement would briefly need two S3 gateway endpoints on one route table, which AWS refuses).
    const endpointScope: Construct = props.vpc ? this : this.vpc as ec2.Vpc;

    this.handlerSecurityGroup = new ec2.SecurityGroup(this, 'HandlerSecurityGroup', {
      vpc: this.vpc,
      description: 'Health data lake handlers: HTTPS to the S3 and Cognito Identity endpoints only',
      allowAllOutbound: false,
    });
    // S3 has no fixed addresses to name here (its prefix list id is not a CloudFormation attribute):
    // in isolated subnets nothing but the endpoints is routed, so HTTPS out reaches only them; where
    // the subnets have a route to the internet, a warning says what this rule then allows.
    this.handlerSecurityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to S3 through the gateway endpoint');

    if (props.s3Endpoint) {
      this.s3Endpoint = props.s3Endpoint;
      owningNetwork(props.s3Endpoint)?.allowBucket(props.bucket);
    } else {
      const withoutRouteTable = handlerSubnets.filter((subnet) => !subnet.routeTable?.routeTableId);
      if (withoutRouteTable.length > 0) {
        throw new Error(`HealthDataLake: the route tables of the subnets ${withoutRouteTable.map(subnetName).join(', ')} are not known, ` +
          'so the lake\'s S3 gateway endpoint cannot be attached to them. Import the VPC with its route table ids ' +
          '(for example isolatedSubnetRouteTableIds in Vpc.fromVpcAttributes), or pass the VPC\'s S3 gateway endpoint as s3Endpoint.');
      }
      this.ownS3Endpoint = new ec2.GatewayVpcEndpoint(endpointScope, 'S3Endpoint', {
        vpc: this.vpc,
        service: ec2.GatewayVpcEndpointAwsService.S3,
        subnets: [this.subnets],
      });
      this.s3Endpoint = this.ownS3Endpoint;
      this.allowBucket(props.bucket);
    }

    if (props.cognitoIdentityEndpoint) {
      this.cognitoIdentityEndpoint = props.cognitoIdentityEndpoint;
      props.cognitoIdentityEndpoint.connections.allowFrom(this.handlerSecurityGroup, ec2.Port.tcp(443), 'HTTPS from the health data lake handlers');
      owningNetwork(props.cognitoIdentityEndpoint)?.allowIdentityPool(props.identityPoolArn);
    } else {
      const endpointSecurityGroup = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
        vpc: this.vpc,
        description: 'Cognito Identity endpoint of the health data lake: HTTPS from the handlers only',
        allowAllOutbound: false,
      });
      endpointSecurityGroup.addIngressRule(this.handlerSecurityGroup, ec2.Port.tcp(443), 'HTTPS from the handlers');
      this.handlerSecurityGroup.addEgressRule(endpointSecurityGroup, ec2.Port.tcp(443), 'HTTPS to Cognito Identity');
      this.ownCognitoIdentityEndpoint = new ec2.InterfaceVpcEndpoint(endpointScope, 'CognitoIdentityEndpoint', {
        vpc: this.vpc,
        service: ec2.InterfaceVpcEndpointAwsService.COGNITO_IDENTITY,
        subnets: this.subnets,
        securityGroups: [endpointSecurityGroup],
        privateDnsEnabled: true,
        open: false,
        lookupSupportedAzs: props.lookupSupportedAzs ?? false,
      });
      this.cognitoIdentityEndpoint = this.ownCognitoIdentityEndpoint;
      this.allowIdentityPool(props.identityPoolArn);
    }

    if (props.vpc) {
      this.warnAboutTheUsersNetwork(props, handlerSubnets);
      this.node.addValidation({ validate: () => this.conflictsWithTheUsersNetwork(props, handlerSubnets) });
    }
  }

  /** Lets the lake's own S3 endpoint carry the object requests of `bucket` (another lake's too, when shared). */
  private allowBucket(bucket: s3.IBucket): void {
    // The endpoint reaches the lakes' objects only: no path out to other buckets.
    this.ownS3Endpoint?.addToPolicy(new iam.PolicyStatement({
      principals: [new iam.AnyPrincipal()],
      actions: LAKE_OBJECT_ACTIONS,
      resources: [bucket.arnForObjects('*')],
    }));
  }

  /** Lets the lake's own Cognito Identity endpoint carry the token exchanges of an identity pool. */
  private allowIdentityPool(identityPoolArn: string): void {
    // GetId and GetCredentialsForIdentity have no resource type: the pool is named by Cognito's
    // own condition key for authenticated identities (no unauthenticated exchange passes).
    this.ownCognitoIdentityEndpoint?.addToPolicy(new iam.PolicyStatement({
      principals: [new iam.AnyPrincipal()],
      actions: COGNITO_IDENTITY_ACTIONS,
      resources: ['*'],
      conditions: { StringEquals: { 'cognito-identity-auth:IdentityPoolArn': identityPoolArn } },
    }));
  }

  private newIsolatedVpc(props: PrivateNetworkProps): ec2.Vpc {
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      restrictDefaultSecurityGroup: true,
      subnetConfiguration: [{ name: 'handlers', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
    });
    vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(new logs.LogGroup(this, 'FlowLogs', {
        encryptionKey: props.logsKey,
        retention: props.logRetention,
        removalPolicy: props.removalPolicy,
      })),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });
    Validations.of(vpc).acknowledge(
      ...['HIPAA.Security-IAMNoInlinePolicy', 'NIST.800.53.R5-IAMNoInlinePolicy'].map((rule) => ({
        id: rule,
        reason: 'CDK-generated inline policy of the VPC flow log role: it may only write to the flow log group.',
      })),
    );
    return vpc;
  }

  /** Warnings where the user's network lets the handlers out, or cannot be inspected at synthesis. */
  private warnAboutTheUsersNetwork(props: PrivateNetworkProps, handlerSubnets: ec2.ISubnet[]): void {
    const vpc = this.vpc;
    const reachingOut = handlerSubnets
      .map((subnet) => ({ subnet, reasons: internetRoutes(vpc, subnet) }))
      .filter(({ reasons }) => reasons.length > 0);
    if (reachingOut.length > 0) {
      Annotations.of(this).addWarningV2(NETWORK_WARNINGS.internetRoute,
        `The lake's handler subnets have a route to the internet: ${reachingOut.map(({ subnet, reasons }) => `${subnetName(subnet)} (${reasons.join('; ')})`).join(', ')}. ` +
        'The handlers\' security group allows HTTPS (443) to any IPv4 address, because S3\'s addresses cannot be named in a template, ' +
        'so the handlers can reach any HTTPS host on the internet (the institute credentials still reach the data only through the lake\'s S3 endpoint). ' +
        'Pass isolated subnets (no NAT, no internet gateway) as vpcSubnets to keep the handlers off the internet.');
    }

    const uninspectable = handlerSubnets.filter((subnet) => !isInspectable(vpc, subnet));
    if (uninspectable.length > 0) {
      const checks = [`the subnets ${uninspectable.map(subnetName).join(', ')} have no route to the internet (no NAT, no internet gateway)`];
      if (!props.s3Endpoint) {
        checks.push('no other S3 gateway endpoint is attached to their route tables (AWS allows one per route table)');
        checks.push('no workload other than the lake\'s handlers runs on those route tables (every one of them passes the API-only gate)');
      }
      if (!props.cognitoIdentityEndpoint && !isInspectable(vpc)) {
        checks.push('the VPC has no Cognito Identity interface endpoint with private DNS (otherwise pass it as cognitoIdentityEndpoint)');
      }
      Annotations.of(this).addWarningV2(NETWORK_WARNINGS.uninspectable,
        (isInspectable(vpc)
          ? 'Subnets passed to the lake are imported, so the construct cannot see their route tables. '
          : 'The VPC passed to the lake is imported, so the construct cannot see its route tables or endpoints. ') +
        `Verify yourself that ${checks.join('; ')}.`);
    }
  }

  /** Synthesis errors for endpoints of the app that would make the deployment fail or bypass the gate. */
  private conflictsWithTheUsersNetwork(props: PrivateNetworkProps, handlerSubnets: ec2.ISubnet[]): string[] {
    const vpc = this.vpc;
    if (!isInspectable(vpc)) return [];
    const errors: string[] = [];
    const ours = (resource: IConstruct) => resource.node.path.startsWith(`${this.node.path}/`);
    const passedS3 = endpointResource(props.s3Endpoint);
    const passedCognito = endpointResource(props.cognitoIdentityEndpoint);
    const handlerRouteTables = new Map(handlerSubnets
      .filter((subnet) => isInspectable(vpc, subnet))
      .map((subnet) => [routeTableOf(vpc, subnet), subnet]));

    const s3Endpoints = s3GatewayEndpointsIn(vpc);
    if (!props.s3Endpoint) {
      for (const other of s3Endpoints.filter(({ resource }) => !ours(resource))) {
        const shared = other.routeTables.filter((table) => handlerRouteTables.has(table)).map((table) => subnetName(handlerRouteTables.get(table)!));
        if (shared.length > 0) {
          errors.push(`HealthDataLake: the S3 gateway endpoint ${other.resource.node.path} is already attached to the route tables of the lake's subnets ${shared.join(', ')}. ` +
            'AWS allows one S3 gateway endpoint per route table, so the deployment would fail. Pass that endpoint as s3Endpoint ' +
            '(the API-only gate then means "requests through that endpoint"), or choose other vpcSubnets.');
        }
      }
    } else if (passedS3) {
      const found = s3Endpoints.find(({ resource }) => resource === passedS3);
      const missing = [...handlerRouteTables.entries()]
        .filter(([table]) => !found?.routeTables.includes(table))
        .map(([, subnet]) => subnetName(subnet));
      if (!found) {
        errors.push(`HealthDataLake: s3Endpoint ${passedS3.node.path} is not an S3 gateway endpoint of vpc ${vpc.node.path}. Pass the S3 gateway endpoint of that VPC.`);
      } else if (missing.length > 0) {
        errors.push(`HealthDataLake: s3Endpoint ${passedS3.node.path} is not attached to the route tables of the lake's subnets ${missing.join(', ')}, ` +
          'so the handlers\' S3 requests would not pass through it and the API-only gate would deny them all. ' +
          'Attach the endpoint to those route tables, or choose vpcSubnets whose route tables it is attached to.');
      }
    }

    if (!props.cognitoIdentityEndpoint) {
      for (const other of privateDnsCognitoIdentityEndpointsIn(vpc).filter((resource) => !ours(resource))) {
        errors.push(`HealthDataLake: the VPC already has a Cognito Identity interface endpoint with private DNS (${other.node.path}); ` +
          'a second one cannot be created in the same VPC. Pass that endpoint as cognitoIdentityEndpoint.');
      }
    } else if (passedCognito && !privateDnsCognitoIdentityEndpointsIn(vpc).includes(passedCognito)) {
      errors.push(`HealthDataLake: cognitoIdentityEndpoint ${passedCognito.node.path} is not a Cognito Identity interface endpoint with private DNS in vpc ${vpc.node.path}, ` +
        'so the handlers would not reach Cognito Identity through it. Pass the VPC\'s Cognito Identity endpoint with private DNS enabled.');
    }
    return errors;
  }
}

/** Property combinations that would widen the API-only gate silently or could never work. */
function validateCombination(props: PrivateNetworkProps): void {
  if (!props.vpc) {
    for (const [name, value] of [['vpcSubnets', props.vpcSubnets], ['s3Endpoint', props.s3Endpoint], ['cognitoIdentityEndpoint', props.cognitoIdentityEndpoint]] as const) {
      if (value) {
        throw new Error(`HealthDataLake: ${name} was given without vpc. Without vpc the lake creates its own isolated VPC and its own endpoints; ` +
          `${name} must belong to a VPC of yours: pass that VPC as vpc too, or leave ${name} out.`);
      }
    }
  } else if (!props.vpcSubnets && !props.s3Endpoint) {
    throw new Error('HealthDataLake: vpc was given without vpcSubnets or s3Endpoint. The lake\'s S3 gateway endpoint is the gate of API-only access: ' +
      'every workload on the route tables it is attached to can use a user\'s identity-pool credentials against the data. ' +
      'Name subnets dedicated to the lake\'s handlers as vpcSubnets (for example { subnetGroupName: \'lake\' }), ' +
      'or pass the VPC\'s existing S3 gateway endpoint as s3Endpoint.');
  }
  if (props.cognitoIdentityEndpoint && props.lookupSupportedAzs) {
    throw new Error('HealthDataLake: lookupSupportedAzs is true but cognitoIdentityEndpoint was given: the lookup only places the Cognito Identity ' +
      'endpoint that the lake creates. Leave lookupSupportedAzs out, or leave cognitoIdentityEndpoint out.');
  }
}

/** The user's selection resolved to concrete subnets, with the reason and a remedy when it selects none. */
function selectHandlerSubnets(vpc: ec2.IVpc, selection: ec2.SubnetSelection | undefined): ec2.ISubnet[] {
  // Without vpcSubnets (allowed only with s3Endpoint) the handlers go to the isolated subnets.
  const effective = selection ?? { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
  const what = selection ? `vpcSubnets ${describeSelection(selection)}` : `the default handler subnets ${describeSelection(effective)}`;
  const remedy = 'Pass vpcSubnets that select at least one subnet of that VPC for the handlers, for example { subnetGroupName: \'lake\' } or { subnets: [...] }.';
  let selected: ec2.SelectedSubnets;
  try {
    selected = vpc.selectSubnets(effective);
  } catch (error) {
    throw new Error(`HealthDataLake: ${what} selects no subnet of vpc ${vpc.node.path} (${(error as Error).message}). ${remedy}`);
  }
  if (selected.subnets.length === 0 && !selected.isPendingLookup) {
    throw new Error(`HealthDataLake: ${what} selects no subnet of vpc ${vpc.node.path}. ${remedy}`);
  }
  const publicSubnets = selected.subnets.filter((subnet) => vpc.publicSubnets.some((other) => other.subnetId === subnet.subnetId));
  if (publicSubnets.length > 0) {
    throw new Error(`HealthDataLake: ${what} selects the public subnets ${publicSubnets.map(subnetName).join(', ')} of vpc ${vpc.node.path}. ` +
      'Their route tables lead to an internet gateway and usually serve internet-facing workloads, which would all pass the API-only gate, ' +
      'and Lambda functions get no public address there. Pass isolated subnets dedicated to the lake as vpcSubnets.');
  }
  return selected.subnets;
}

/** The lake network that created an endpoint, when another lake passes that endpoint in. */
function owningNetwork(endpoint: ec2.IVpcEndpoint): PrivateNetwork | undefined {
  return endpoint.node.scopes.find((scope): scope is PrivateNetwork => scope instanceof PrivateNetwork);
}
