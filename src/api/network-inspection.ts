import { Reference, Stack, Token, Tokenization } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { IConstruct } from 'constructs';

/**
 * What the construct can find out, at synthesis, about a VPC and its subnets that are defined in the
 * same app: their subnet types, their default routes, and the VPC endpoints already attached to them.
 * An imported VPC (`Vpc.fromVpcAttributes`, `Vpc.fromLookup`) or an imported subnet shows none of
 * this, so the callers warn and name what the user must check instead.
 */

/** A selection of subnets as a reader would write it, for error and warning texts. */
export function describeSelection(selection: ec2.SubnetSelection | undefined): string {
  if (!selection) return 'the default selection';
  const parts: string[] = [];
  if (selection.subnetType) parts.push(`subnetType: ${selection.subnetType}`);
  if (selection.subnetGroupName) parts.push(`subnetGroupName: '${selection.subnetGroupName}'`);
  if (selection.availabilityZones) parts.push(`availabilityZones: [${selection.availabilityZones.join(', ')}]`);
  if (selection.subnets) parts.push(`subnets: [${selection.subnets.map(subnetName).join(', ')}]`);
  if (selection.subnetFilters) parts.push(`subnetFilters: ${selection.subnetFilters.length} filter(s)`);
  if (selection.onePerAz) parts.push('onePerAz: true');
  return parts.length ? `{ ${parts.join(', ')} }` : '{}';
}

/** A subnet's construct path when it has one in the app, its id otherwise. */
export function subnetName(subnet: ec2.ISubnet): string {
  return subnet instanceof ec2.Subnet ? subnet.node.path : Token.isUnresolved(subnet.subnetId) ? subnet.node.path : subnet.subnetId;
}

/** Whether the VPC and the subnet are constructs of this app, whose routes and endpoints can be inspected. */
export function isInspectable(vpc: ec2.IVpc, subnet?: ec2.ISubnet): boolean {
  return vpc instanceof ec2.Vpc && (!subnet || subnet instanceof ec2.Subnet);
}

/** Why a (non-public) subnet can reach the internet, as far as its type and the app's routes show (empty when it cannot). */
export function internetRoutes(vpc: ec2.IVpc, subnet: ec2.ISubnet): string[] {
  const reasons: string[] = [];
  const sameSubnet = (other: ec2.ISubnet) => other === subnet || other.subnetId === subnet.subnetId;
  if (vpc.privateSubnets.some(sameSubnet)) reasons.push('a PRIVATE_WITH_EGRESS subnet');
  if (isInspectable(vpc, subnet)) {
    const routeTable = resolvedIn(vpc, subnet.routeTable.routeTableId);
    for (const route of allOf(vpc, ec2.CfnRoute)) {
      if (resolvedIn(vpc, route.routeTableId) !== routeTable) continue;
      const destination = [route.destinationCidrBlock, route.destinationIpv6CidrBlock].find((cidr) => cidr === '0.0.0.0/0' || cidr === '::/0');
      if (destination) reasons.push(`a route ${destination} via ${routeTarget(route)} (${route.node.path})`);
    }
  }
  return reasons;
}

/** An endpoint resource of the app that sits in `vpc`. */
export interface FoundEndpoint {
  readonly resource: ec2.CfnVPCEndpoint;
  /** Route tables it is attached to (gateway endpoints), resolved for comparison. */
  readonly routeTables: string[];
}

/** The S3 gateway endpoints of the app in `vpc` (whatever construct created them). */
export function s3GatewayEndpointsIn(vpc: ec2.IVpc): FoundEndpoint[] {
  return endpointsIn(vpc)
    .filter((endpoint) => (endpoint.vpcEndpointType ?? 'Gateway') === 'Gateway' && /\.s3"(\]\]\})?$/.test(resolvedIn(vpc, endpoint.serviceName)))
    .map((resource) => ({ resource, routeTables: (resource.routeTableIds ?? []).map((id) => resolvedIn(vpc, id)) }));
}

/** The Cognito Identity interface endpoints of the app in `vpc` that have private DNS turned on. */
export function privateDnsCognitoIdentityEndpointsIn(vpc: ec2.IVpc): ec2.CfnVPCEndpoint[] {
  return endpointsIn(vpc).filter((endpoint) => endpoint.vpcEndpointType === 'Interface'
    && /\.cognito-identity"(\]\]\})?$/.test(resolvedIn(vpc, endpoint.serviceName))
    && Stack.of(vpc).resolve(endpoint.privateDnsEnabled) === true);
}

/** A subnet's route table, resolved for comparison with an endpoint's route tables. */
export function routeTableOf(vpc: ec2.IVpc, subnet: ec2.ISubnet): string {
  return resolvedIn(vpc, subnet.routeTable.routeTableId);
}

/** The CloudFormation resource behind an endpoint construct of the app (undefined when it is imported). */
export function endpointResource(endpoint: ec2.IVpcEndpoint | undefined): ec2.CfnVPCEndpoint | undefined {
  const child = endpoint?.node.defaultChild;
  return child instanceof ec2.CfnVPCEndpoint ? child : undefined;
}

function endpointsIn(vpc: ec2.IVpc): ec2.CfnVPCEndpoint[] {
  const vpcId = resolvedIn(vpc, vpc.vpcId);
  return allOf(vpc, ec2.CfnVPCEndpoint).filter((endpoint) => Stack.of(endpoint) === Stack.of(vpc)
    ? resolvedIn(vpc, endpoint.vpcId) === vpcId
    // In another stack the same logical id may name another VPC: follow the reference to its resource.
    : referencedResource(endpoint.vpcId) === vpc.node.defaultChild);
}

/** The resource a token such as `{ Ref: ... }` refers to, when it is a reference. */
function referencedResource(value: string): IConstruct | undefined {
  const token = Tokenization.reverse(value);
  return token instanceof Reference ? token.target : undefined;
}

function allOf<T>(scope: IConstruct, type: abstract new (...args: any[]) => T): T[] {
  return scope.node.root.node.findAll().filter((construct): construct is T & IConstruct => construct instanceof type);
}

/**
 * A value as the VPC's stack would write it (`{"Ref":"..."}` for a token), as text. Everything is
 * resolved in the same stack so that two references to one resource compare equal.
 */
function resolvedIn(vpc: ec2.IVpc, value: unknown): string {
  return JSON.stringify(Stack.of(vpc).resolve(value) ?? null);
}

function routeTarget(route: ec2.CfnRoute): string {
  if (route.natGatewayId) return 'a NAT gateway';
  if (route.gatewayId) return 'an internet or virtual private gateway';
  if (route.egressOnlyInternetGatewayId) return 'an egress-only internet gateway';
  if (route.transitGatewayId) return 'a transit gateway';
  if (route.instanceId || route.networkInterfaceId) return 'an instance or network interface';
  if (route.vpcPeeringConnectionId) return 'a VPC peering connection';
  return 'another target';
}
