import { ArnFormat, RemovalPolicy, Resource, Stack, Validations } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as identitypool from 'aws-cdk-lib/aws-cognito-identitypool';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { aws_cognito as cognitoRefs } from 'aws-cdk-lib/interfaces';
import { Construct } from 'constructs';
import { PrincipalTagMappingMethod } from './principal-tag-mapping';

export interface InstituteIdentityPoolProps {
  readonly userPool: cognito.IUserPool;
  readonly userPoolClient: cognito.IUserPoolClient;
  readonly authenticatedRole: iam.IRole;
  /** Principal tag name -> ID token claim, e.g. `{ read: 'custom:read' }`. */
  readonly principalTags: Record<string, string>;
  readonly principalTagMappingMethod: PrincipalTagMappingMethod;
  /** The key, retention and removal policy of the log group of the custom resource's function. */
  readonly logsKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * Exchanges a user's ID token for temporary credentials of the institute access role, with the
 * user's institute attributes carried as principal tags. Authenticated identities only: there is
 * no unauthenticated role at all. This user pool and app client are the only provider, with the
 * server-side token check on.
 */
export class InstituteIdentityPool extends Construct {
  public readonly identityPool: identitypool.IIdentityPool;

  constructor(scope: Construct, id: string, props: InstituteIdentityPoolProps) {
    super(scope, id);

    this.identityPool = new AuthenticatedOnlyIdentityPool(this, 'IdentityPool', {
      // The same provider name the handlers log in with and the principal-tag mapping names.
      providerName: props.userPool.userPoolProviderName,
      clientId: props.userPoolClient.userPoolClientId,
      authenticatedRole: props.authenticatedRole,
    });

    const mapping = {
      IdentityPoolId: this.identityPool.identityPoolId,
      IdentityProviderName: props.userPool.userPoolProviderName,
      UseDefaults: false,
      PrincipalTags: props.principalTags,
    };

    // Switching principalTagMappingMethod creates the other method's resource (another type, so another
    // logical id), and CloudFormation deletes the old one afterwards, during cleanup. Neither resource's
    // delete may therefore touch the mapping, which by then belongs to the new one: the native resource
    // is retained, and the custom resource makes no call on delete. The mapping is part of the identity
    // pool, which goes with the stack.
    if (props.principalTagMappingMethod === PrincipalTagMappingMethod.CLOUDFORMATION) {
      new cognito.CfnIdentityPoolPrincipalTag(this, 'PrincipalTags', {
        identityPoolId: mapping.IdentityPoolId,
        identityProviderName: mapping.IdentityProviderName,
        useDefaults: mapping.UseDefaults,
        principalTags: mapping.PrincipalTags,
      }).applyRemovalPolicy(RemovalPolicy.RETAIN);
      return;
    }

    const call = (parameters: object): cr.AwsSdkCall => ({
      service: 'CognitoIdentity',
      action: 'setPrincipalTagAttributeMap',
      parameters,
      // A new provider or pool is a new mapping (a new physical id). The old pool's mapping goes with the
      // old pool; an old provider's mapping stays behind, unused, since the pool no longer lists that provider.
      physicalResourceId: cr.PhysicalResourceId.of(`${mapping.IdentityPoolId}|${mapping.IdentityProviderName}`),
    });
    const mappingResource = new cr.AwsCustomResource(this, 'PrincipalTags', {
      resourceType: 'Custom::IdentityPoolPrincipalTags',
      onCreate: call(mapping),
      onUpdate: call(mapping),
      // No onDelete: see above.
      logGroup: providerLogGroup(this, props),
      policy: cr.AwsCustomResourcePolicy.fromStatements([new iam.PolicyStatement({
        actions: ['cognito-identity:SetPrincipalTagAttributeMap'],
        resources: [this.identityPool.identityPoolArn],
      })]),
      installLatestAwsSdk: false,
    });
    mappingResource.node.addDependency(this.identityPool);
    acknowledgeDeploymentTimeFunction(mappingResource);
  }
}

/**
 * The log group of the custom resource's function, encrypted with the lake's logs key and kept as long
 * as the lake's other logs. Without it Lambda writes to a log group of its own, unencrypted and kept
 * forever, or, with the feature flag `@aws-cdk/aws-lambda:useCdkManagedLogGroup` that `cdk init`
 * sets, CDK adds one to the template, unencrypted and always retained.
 *
 * The function is one per stack (CDK's singleton for every AwsCustomResource of the stack): the first
 * lake of the stack gives it its log group. When the function already exists, made by another lake or
 * by an AwsCustomResource of the app, its log group stays as it is, and this returns undefined.
 */
function providerLogGroup(scope: Construct, props: InstituteIdentityPoolProps): logs.ILogGroup | undefined {
  const providerId = `AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`;
  if (Stack.of(scope).node.tryFindChild(providerId)) return undefined;
  return new logs.LogGroup(scope, 'PrincipalTagsLogs', {
    encryptionKey: props.logsKey,
    retention: props.logRetention,
    removalPolicy: props.removalPolicy,
  });
}

interface AuthenticatedOnlyIdentityPoolProps {
  readonly providerName: string;
  readonly clientId: string;
  readonly authenticatedRole: iam.IRole;
}

/**
 * An identity pool with one user pool provider and an authenticated role only. The L2
 * `IdentityPool` always creates and attaches an unauthenticated role, even with unauthenticated
 * identities off; here there is none to misconfigure. The construct ids are the L2's, so an
 * existing pool is updated in place (identity ids are kept).
 */
class AuthenticatedOnlyIdentityPool extends Resource implements identitypool.IIdentityPool {
  public readonly identityPoolId: string;
  public readonly identityPoolArn: string;
  public readonly identityPoolName: string;

  constructor(scope: Construct, id: string, props: AuthenticatedOnlyIdentityPoolProps) {
    super(scope, id);
    const pool = new cognito.CfnIdentityPool(this, 'Resource', {
      allowUnauthenticatedIdentities: false,
      allowClassicFlow: false,
      cognitoIdentityProviders: [{
        providerName: props.providerName,
        clientId: props.clientId,
        serverSideTokenCheck: true,
      }],
    });
    this.identityPoolId = pool.ref;
    this.identityPoolName = pool.attrName;
    this.identityPoolArn = Stack.of(this).formatArn({
      service: 'cognito-identity',
      resource: 'identitypool',
      resourceName: this.identityPoolId,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    const attachment = new Construct(this, 'DefaultRoleAttachment');
    new cognito.CfnIdentityPoolRoleAttachment(attachment, 'Resource', {
      identityPoolId: this.identityPoolId,
      roles: { authenticated: props.authenticatedRole.roleArn },
    });
  }

  public get identityPoolRef(): cognitoRefs.IdentityPoolReference {
    return { identityPoolId: this.identityPoolId };
  }
}

/**
 * The AwsCustomResource runs one stack-level Lambda function, created by CDK, that only calls
 * SetPrincipalTagAttributeMap during deployments. It cannot be given a VPC, a DLQ or reserved
 * concurrency through this API, so the findings on it are acknowledged here, once, for every user.
 */
function acknowledgeDeploymentTimeFunction(resource: cr.AwsCustomResource): void {
  const handler = (resource.grantPrincipal as iam.Role).node.scope;
  if (!handler) return;
  const deploymentOnly = 'CDK-generated function that runs only during CloudFormation deployments to set the ' +
    'identity pool principal-tag mapping; it handles no health data and CloudFormation reports its failures.';
  Validations.of(handler).acknowledge(
    {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: 'AWSLambdaBasicExecutionRole only lets it write its own logs. ' + deploymentOnly,
    },
    { id: 'HIPAA.Security-LambdaConcurrency', reason: deploymentOnly },
    { id: 'HIPAA.Security-LambdaDLQ', reason: deploymentOnly },
    { id: 'HIPAA.Security-LambdaInsideVPC', reason: deploymentOnly },
    { id: 'NIST.800.53.R5-LambdaConcurrency', reason: deploymentOnly },
    { id: 'NIST.800.53.R5-LambdaDLQ', reason: deploymentOnly },
    { id: 'NIST.800.53.R5-LambdaInsideVPC', reason: deploymentOnly },
  );
  const inlineOnly = 'The inline policy of the custom resource allows only cognito-identity:SetPrincipalTagAttributeMap on this identity pool.';
  Validations.of(resource).acknowledge(
    { id: 'HIPAA.Security-IAMNoInlinePolicy', reason: inlineOnly },
    { id: 'NIST.800.53.R5-IAMNoInlinePolicy', reason: inlineOnly },
  );
}
