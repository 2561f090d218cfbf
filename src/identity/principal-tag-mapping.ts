/**
 * How the identity pool's principal-tag mapping (custom attributes -> principal tags) is created.
 */
export enum PrincipalTagMappingMethod {
  /**
   * A custom resource that calls `SetPrincipalTagAttributeMap` on create and update.
   *
   * Works in every partition and account, which is why it is the default. Its delete leaves the
   * mapping alone (it goes with the identity pool), so switching to `CLOUDFORMATION` keeps users' access.
   */
  CUSTOM_RESOURCE = 'CUSTOM_RESOURCE',
  /**
   * The native CloudFormation resource `AWS::Cognito::IdentityPoolPrincipalTag`, without a Lambda function.
   *
   * It is not available in every partition. It is retained when removed from the template (the
   * mapping goes with the identity pool), so switching to `CUSTOM_RESOURCE` keeps users' access.
   */
  CLOUDFORMATION = 'CLOUDFORMATION',
}
