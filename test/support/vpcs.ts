import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { HealthDataLakeProps } from '../../src';

/**
 * The own-VPC configurations the README documents, shared by the tests that must hold on each of
 * them (cdk-nag, prop validation, the compliance report).
 */

/** The subnet group of an app's VPC that the lake gets to itself. */
export const LAKE_SUBNET_GROUP = 'lake';

/** An app's VPC with isolated subnets (the group `LAKE_SUBNET_GROUP`) and no NAT gateway. */
export function appVpc(stack: Stack): ec2.Vpc {
  return new ec2.Vpc(stack, 'Vpc', {
    natGateways: 0,
    subnetConfiguration: [{ name: LAKE_SUBNET_GROUP, subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
  });
}

/** The lake in the app's VPC, on subnets dedicated to it. */
export function dedicatedSubnetsProps(stack: Stack): HealthDataLakeProps {
  return { vpc: appVpc(stack), vpcSubnets: { subnetGroupName: LAKE_SUBNET_GROUP } };
}

/** The lake in the app's VPC, with the app's own S3 and Cognito Identity endpoints. */
export function ownEndpointsProps(stack: Stack): HealthDataLakeProps {
  const vpc = appVpc(stack);
  return {
    vpc,
    s3Endpoint: vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 }),
    cognitoIdentityEndpoint: vpc.addInterfaceEndpoint('CognitoIdentity', { service: ec2.InterfaceVpcEndpointAwsService.COGNITO_IDENTITY, open: false }),
  };
}

/** The lake in an imported VPC, on its isolated subnets (whose route tables are named). */
export function importedVpcProps(stack: Stack): HealthDataLakeProps {
  return {
    vpc: ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
      vpcId: 'vpc-0123456789abcdef0',
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      isolatedSubnetIds: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0aaaaaaaaaaaaaaa2'],
      isolatedSubnetRouteTableIds: ['rtb-0aaaaaaaaaaaaaaa1', 'rtb-0aaaaaaaaaaaaaaa2'],
    }),
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
  };
}
