import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';

export interface InstituteUserPoolProps {
  readonly readAttributeName: string;
  readonly writeAttributeName: string;
  readonly mfa: cognito.Mfa;
  readonly threatProtectionMode: cognito.StandardThreatProtectionMode;
  readonly passwordPolicy: cognito.PasswordPolicy;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The institute users: administrators create them (no self sign-up), they sign in with their
 * email address, and two custom attributes name the institute they may read and write for.
 * The app client can read those attributes but not write them, so no user can change their own
 * institute; only administrators can (with the admin API).
 */
export class InstituteUserPool extends Construct {
  public readonly userPool: cognito.UserPool;
  public readonly userPoolClient: cognito.UserPoolClient;

  constructor(scope: Construct, id: string, props: InstituteUserPoolProps) {
    super(scope, id);

    const threatProtection = props.threatProtectionMode !== cognito.StandardThreatProtectionMode.NO_ENFORCEMENT;
    this.userPool = new cognito.UserPool(this, 'UserPool', {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      autoVerify: { email: true },
      signInCaseSensitive: false,
      standardAttributes: { email: { required: true, mutable: true } },
      customAttributes: {
        [props.readAttributeName]: new cognito.StringAttribute({ minLen: 1, maxLen: 256, mutable: true }),
        [props.writeAttributeName]: new cognito.StringAttribute({ minLen: 1, maxLen: 256, mutable: true }),
      },
      passwordPolicy: props.passwordPolicy,
      mfa: props.mfa,
      mfaSecondFactor: props.mfa === cognito.Mfa.OFF ? undefined : { otp: true, sms: false },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      featurePlan: threatProtection ? cognito.FeaturePlan.PLUS : cognito.FeaturePlan.ESSENTIALS,
      standardThreatProtectionMode: threatProtection ? props.threatProtectionMode : undefined,
      // Kept unless the stack owner explicitly opted into deleting it (otherwise stack deletion would fail).
      deletionProtection: props.removalPolicy !== RemovalPolicy.DESTROY,
      removalPolicy: props.removalPolicy,
    });

    const institutes = new cognito.ClientAttributes()
      .withStandardAttributes({ email: true, emailVerified: true, fullname: true })
      .withCustomAttributes(props.readAttributeName, props.writeAttributeName);
    this.userPoolClient = this.userPool.addClient('AppClient', {
      generateSecret: false,
      // Users sign in with SRP (or administrators' scripts); no hosted-UI OAuth flows or callback URLs.
      disableOAuth: true,
      authFlows: { userSrp: true, adminUserPassword: true },
      preventUserExistenceErrors: true,
      readAttributes: institutes,
      // Deliberately excludes the institute attributes: users cannot change them.
      writeAttributes: new cognito.ClientAttributes().withStandardAttributes({ fullname: true }),
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(1),
      enableTokenRevocation: true,
    });

    if (props.mfa !== cognito.Mfa.REQUIRED) {
      Validations.of(this.userPool).acknowledge({
        id: 'AwsSolutions-COG2',
        reason: 'MFA was made optional or turned off explicitly through the `mfa` prop of HealthDataLake.',
      });
    }
    if (!threatProtection) {
      const reason = 'Threat protection (and with it the Plus feature plan) was turned off explicitly through the ' +
        '`threatProtectionMode` prop of HealthDataLake.';
      Validations.of(this.userPool).acknowledge({ id: 'AwsSolutions-COG3', reason }, { id: 'AwsSolutions-COG8', reason });
    }
  }
}
