import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { instituteAccessPolicy, instituteObjectResources } from './institute-access-policy';

export interface InstituteAccessRoleProps {
  /** The identity pool whose authenticated identities may assume the role (may be a token). */
  readonly identityPoolId: string;
  readonly bucketArn: string;
  readonly keyArn: string;
}

/**
 * The role every authenticated identity of the pool assumes, tagged with the caller's institutes.
 * It is trusted only by this identity pool's authenticated identities and may tag its session
 * (`sts:TagSession`), which is what carries the principal tags the policy decides on.
 */
export class InstituteAccessRole extends Construct {
  public readonly role: iam.Role;
  /** The customer-managed policy that holds the lake's access rules. */
  public readonly policy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: InstituteAccessRoleProps) {
    super(scope, id);
    const trust = new iam.FederatedPrincipal(
      'cognito-identity.amazonaws.com',
      {
        'StringEquals': { 'cognito-identity.amazonaws.com:aud': props.identityPoolId },
        'ForAnyValue:StringLike': { 'cognito-identity.amazonaws.com:amr': 'authenticated' },
      },
      'sts:AssumeRoleWithWebIdentity',
    ).withSessionTags();

    this.role = new iam.Role(this, 'Role', {
      description: 'Institute users of the health data lake (ABAC on the read/write principal tags)',
      assumedBy: trust,
    });
    this.policy = new iam.ManagedPolicy(this, 'Policy', {
      description: 'The health data lake access rules: read and write by institute (principal tags read/write)',
      document: instituteAccessPolicy({
        bucketArn: props.bucketArn,
        keyArn: props.keyArn,
        region: Stack.of(this).region,
        urlSuffix: Stack.of(this).urlSuffix,
      }),
      roles: [this.role],
    });
    const objectWildcards = 'Object keys of the data bucket only: access is decided per object by its source tag ' +
      'and the caller\'s principal tags (writes also by the <write tag>/ key prefix); no action is a wildcard.';
    Validations.of(this.policy).acknowledge(
      ...Object.values(instituteObjectResources(props.bucketArn)).map((resource) => ({
        id: `AwsSolutions-IAM5[Resource::${nagResourceName(Stack.of(this).resolve(resource))}]`,
        reason: objectWildcards,
      })),
    );
  }
}

/**
 * The name cdk-nag gives a resource in an IAM5 finding (`<Logical.Arn>/*`), so that exactly these
 * two object wildcards are acknowledged and any new wildcard is still reported. cdk-nag is not a
 * runtime dependency of this library, hence this small copy of its naming rule.
 */
function nagResourceName(node: unknown): string {
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (node && typeof node === 'object') {
    const fn = node as Record<string, unknown>;
    if (Array.isArray(fn['Fn::Join'])) {
      const [delimiter, parts] = fn['Fn::Join'] as [string, unknown[]];
      return parts.map(nagResourceName).join(delimiter);
    }
    if (Array.isArray(fn['Fn::GetAtt'])) {
      const [logicalId, attribute] = fn['Fn::GetAtt'] as [unknown, unknown];
      return `<${nagResourceName(logicalId)}.${nagResourceName(attribute)}>`;
    }
    if ('Ref' in fn) return `<${nagResourceName(fn.Ref)}>`;
  }
  return JSON.stringify(node);
}
