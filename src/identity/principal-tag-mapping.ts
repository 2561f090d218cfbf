/**
 * How the identity pool's principal-tag mapping (custom attributes -> principal tags) is created.
 */
export enum PrincipalTagMappingMethod {
  /**
   * A custom resource that calls `SetPrincipalTagAttributeMap` on create, update and delete.
   * Works in every partition and account, which is why it is the default.
   */
  CUSTOM_RESOURCE = 'CUSTOM_RESOURCE',
  /**
   * The native CloudFormation resource `AWS::Cognito::IdentityPoolPrincipalTag`, without a Lambda function.
   * It is not available in every partition.
   */
  CLOUDFORMATION = 'CLOUDFORMATION',
}
