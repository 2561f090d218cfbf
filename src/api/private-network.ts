import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface PrivateNetworkProps {
  /** A VPC of the user; a new isolated one when undefined. */
  readonly vpc?: ec2.IVpc;
  /** Subnets of `vpc` for the handlers and the interface endpoint. */
  readonly vpcSubnets?: ec2.SubnetSelection;
  readonly bucket: s3.IBucket;
  readonly logsKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The only network path to the lake: handlers run in private subnets without internet access and
 * reach S3 through a gateway endpoint (which the lake's policies require) and Cognito Identity
 * through an interface endpoint.
 */
export class PrivateNetwork extends Construct {
  public readonly vpc: ec2.IVpc;
  public readonly subnets: ec2.SubnetSelection;
  public readonly s3Endpoint: ec2.GatewayVpcEndpoint;
  public readonly cognitoIdentityEndpoint: ec2.InterfaceVpcEndpoint;
  /** The security group of the handlers: HTTPS out to the endpoints only. */
  public readonly handlerSecurityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: PrivateNetworkProps) {
    super(scope, id);

    if (props.vpc) {
      this.vpc = props.vpc;
      this.subnets = props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
    } else {
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
      this.vpc = vpc;
      this.subnets = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
    }

    this.s3Endpoint = this.vpc.addGatewayEndpoint('S3Endpoint', {
      service: ec2.GatewayVpcEndpointAwsService.S3,
      subnets: [this.subnets],
    });
    // The endpoint reaches this bucket's objects only: no path out to other buckets.
    this.s3Endpoint.addToPolicy(new iam.PolicyStatement({
      principals: [new iam.AnyPrincipal()],
      actions: ['s3:GetObject', 's3:PutObject', 's3:PutObjectTagging'],
      resources: [props.bucket.arnForObjects('*')],
    }));

    this.handlerSecurityGroup = new ec2.SecurityGroup(this, 'HandlerSecurityGroup', {
      vpc: this.vpc,
      description: 'Health data lake handlers: HTTPS to the S3 and Cognito Identity endpoints only',
      allowAllOutbound: false,
    });
    const endpointSecurityGroup = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc: this.vpc,
      description: 'Cognito Identity endpoint of the health data lake: HTTPS from the handlers only',
      allowAllOutbound: false,
    });
    endpointSecurityGroup.addIngressRule(this.handlerSecurityGroup, ec2.Port.tcp(443), 'HTTPS from the handlers');
    this.handlerSecurityGroup.addEgressRule(endpointSecurityGroup, ec2.Port.tcp(443), 'HTTPS to Cognito Identity');
    // S3 has no fixed addresses to name here (its prefix list id is not a CloudFormation attribute);
    // the isolated subnets have no route anywhere but the endpoints, so HTTPS out reaches only them.
    this.handlerSecurityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to S3 through the gateway endpoint');

    this.cognitoIdentityEndpoint = this.vpc.addInterfaceEndpoint('CognitoIdentityEndpoint', {
      service: ec2.InterfaceVpcEndpointAwsService.COGNITO_IDENTITY,
      subnets: this.subnets,
      securityGroups: [endpointSecurityGroup],
      privateDnsEnabled: true,
      open: false,
    });
  }
}

