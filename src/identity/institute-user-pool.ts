import { Annotations, Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct, IConstruct } from 'constructs';
import { checkTokenLifetimes } from '../prop-rules';

export interface InstituteUserPoolProps {
  readonly readAttributeName: string;
  readonly writeAttributeName: string;
  readonly mfa: cognito.Mfa;
  readonly threatProtectionMode: cognito.StandardThreatProtectionMode;
  /** The app's password policy: each field it gives replaces the secure default of that field. */
  readonly passwordPolicy?: cognito.PasswordPolicy;
  /** Validity of the ID and access tokens. */
  readonly tokenValidity: Duration;
  /** Validity of the refresh token (rotated on every use). */
  readonly refreshTokenValidity: Duration;
  readonly removalPolicy: RemovalPolicy;
}

/** The password policy when the app gives none, and each field the app leaves out. */
export const SECURE_PASSWORD_POLICY = {
  minLength: 14,
  requireLowercase: true,
  requireUppercase: true,
  requireDigits: true,
  requireSymbols: true,
  tempPasswordValidity: Duration.days(3),
} as const;

/**
 * The password policy the pool gets: the secure default, field by field, with each field the app
 * gave (not undefined) in its place.
 */
export function passwordPolicyOf(given: cognito.PasswordPolicy | undefined): cognito.PasswordPolicy {
  const defined = Object.entries(given ?? {}).filter(([, value]) => value !== undefined && value !== null);
  return { ...SECURE_PASSWORD_POLICY, ...Object.fromEntries(defined) };
}

/**
 * How long a rotated-out refresh token still works: long enough for a client to retry a refresh
 * whose answer was lost, too short to be worth stealing.
 */
const REFRESH_TOKEN_ROTATION_GRACE_PERIOD = Duration.seconds(10);

/**
 * The institute users: administrators create them (no self sign-up), they sign in with their
 * email address, and two custom attributes name the institute they may read and write for.
 * The app client can read those attributes but not write them, so no user can change their own
 * institute; only administrators can (with the admin API). Synthesis fails if any other app client
 * of the pool, anywhere in the app, could write them.
 */
export class InstituteUserPool extends Construct {
  public readonly userPool: cognito.UserPool;
  public readonly userPoolClient: cognito.UserPoolClient;

  constructor(scope: Construct, id: string, props: InstituteUserPoolProps) {
    super(scope, id);
    checkTokenLifetimes(props.tokenValidity, props.refreshTokenValidity);

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
      passwordPolicy: passwordPolicyOf(props.passwordPolicy),
      mfa: props.mfa,
      mfaSecondFactor: props.mfa === cognito.Mfa.OFF ? undefined : { otp: true, sms: false },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      // Refresh token rotation needs Essentials or Plus: the pool is never on Lite.
      featurePlan: threatProtection ? cognito.FeaturePlan.PLUS : cognito.FeaturePlan.ESSENTIALS,
      standardThreatProtectionMode: threatProtection ? props.threatProtectionMode : undefined,
      // Kept unless the stack owner explicitly opted into deleting it (otherwise stack deletion would fail).
      deletionProtection: props.removalPolicy !== RemovalPolicy.DESTROY,
      removalPolicy: props.removalPolicy,
    });

    const instituteClaims = [`custom:${props.readAttributeName}`, `custom:${props.writeAttributeName}`];
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
      // Short-lived tokens bound how long a disabled, signed-out or re-attributed user keeps passing the authorizer.
      idTokenValidity: props.tokenValidity,
      accessTokenValidity: props.tokenValidity,
      refreshTokenValidity: props.refreshTokenValidity,
      // Every refresh (GetTokensFromRefreshToken) issues a new refresh token and retires the old one;
      // with rotation on, Cognito no longer offers the REFRESH_TOKEN_AUTH flow.
      refreshTokenRotationGracePeriod: REFRESH_TOKEN_ROTATION_GRACE_PERIOD,
      enableTokenRevocation: true,
    });

    this.node.addValidation({ validate: () => clientsThatMayWrite(this.userPool, instituteClaims) });
    warnAboutOptOuts(this.userPool, props.mfa, props.threatProtectionMode);
    warnAboutWeakerPasswords(this.userPool, props.passwordPolicy);
  }
}

/**
 * Every app client of the pool, anywhere in the app, that lets its users write an institute
 * attribute. In Cognito an app client without WriteAttributes may write every writable attribute,
 * custom ones included, so its users could give themselves any institute.
 */
function clientsThatMayWrite(userPool: cognito.UserPool, instituteClaims: string[]): string[] {
  const clients = userPool.node.root.node.findAll()
    .filter((c): c is cognito.CfnUserPoolClient => c instanceof cognito.CfnUserPoolClient)
    .filter((client) => client.userPoolId === userPool.userPoolId);
  const errors: string[] = [];
  for (const client of clients) {
    const path = clientPath(client);
    const writable = client.writeAttributes;
    const remedy = 'Give it writeAttributes that leave them out, for example ' +
      '`writeAttributes: new cognito.ClientAttributes().withStandardAttributes({ fullname: true })`.';
    if (writable === undefined || writable.length === 0) {
      errors.push(`HealthDataLake: the app client ${path} of the lake's user pool has no writeAttributes, which in ` +
        `Cognito means its users may write every attribute, including ${instituteClaims.join(' and ')}: ` +
        `they could give themselves any institute. ${remedy}`);
    } else if (Token.isUnresolved(writable) || writable.some((attribute) => Token.isUnresolved(attribute))) {
      errors.push(`HealthDataLake: the writeAttributes of the app client ${path} of the lake's user pool are only ` +
        `known at deployment, so synthesis cannot prove that ${instituteClaims.join(' and ')} are left out. ` +
        'List the attributes it may write literally.');
    } else {
      const institutes = writable.filter((attribute) => instituteClaims.includes(attribute));
      if (institutes.length > 0) {
        errors.push(`HealthDataLake: the app client ${path} of the lake's user pool lets its users write ` +
          `${institutes.join(' and ')}: they could give themselves any institute. ${remedy}`);
      }
    }
  }
  return errors;
}

/** The path a user wrote: the L2 client's, not its `Resource` child's. */
function clientPath(client: cognito.CfnUserPoolClient): string {
  const parent: IConstruct | undefined = client.node.scope;
  return parent instanceof cognito.UserPoolClient ? parent.node.path : client.node.path;
}

/**
 * MFA and threat protection are the app's decision to weaken, so the construct acknowledges
 * nothing for it: cdk-nag reports the finding and a warning says how the app acknowledges it.
 */
function warnAboutOptOuts(userPool: cognito.UserPool, mfa: cognito.Mfa, mode: cognito.StandardThreatProtectionMode): void {
  const acknowledge = (ids: string[]) => 'If this is your decision, acknowledge it in your app: ' +
    `Validations.of(lake.userPool).acknowledge(${ids.map((id) => `{ id: '${id}', reason: '<why>' }`).join(', ')}).`;
  if (mfa !== cognito.Mfa.REQUIRED) {
    const id = 'cdk-health-data-lake:MfaNotRequired';
    const setting = mfa === cognito.Mfa.OFF ? 'turned off (prop mfa = Mfa.OFF)' : 'optional (prop mfa = Mfa.OPTIONAL)';
    Annotations.of(userPool).addWarningV2(id, `MFA is ${setting}: a stolen password alone signs a user in, and ` +
      `cdk-nag reports AwsSolutions-COG2 on the user pool. ${acknowledge(['AwsSolutions-COG2', id])}`);
  }
  if (mode !== cognito.StandardThreatProtectionMode.FULL_FUNCTION) {
    const id = 'cdk-health-data-lake:ThreatProtectionNotEnforced';
    const off = mode === cognito.StandardThreatProtectionMode.NO_ENFORCEMENT;
    const setting = off
      ? 'turned off (prop threatProtectionMode = StandardThreatProtectionMode.NO_ENFORCEMENT; the user pool is on ' +
        'the Essentials feature plan): risky sign-ins are not blocked, and cdk-nag reports AwsSolutions-COG8 on the user pool.'
      : 'only auditing (prop threatProtectionMode = StandardThreatProtectionMode.AUDIT_ONLY): risky sign-ins are not blocked.';
    Annotations.of(userPool).addWarningV2(id, `Threat protection is ${setting} ` +
      acknowledge(off ? ['AwsSolutions-COG8', id] : [id]));
  }
}

/**
 * A password policy field the app made weaker than the secure default is its decision: the pool
 * follows it, and a warning on the user pool names each such field until the app acknowledges it.
 * A value only known at deployment is not compared.
 */
function warnAboutWeakerPasswords(userPool: cognito.UserPool, given: cognito.PasswordPolicy | undefined): void {
  if (!given) return;
  const weaker: string[] = [];
  const known = (value: unknown) => value !== undefined && value !== null && !Token.isUnresolved(value);
  if (known(given.minLength) && given.minLength! < SECURE_PASSWORD_POLICY.minLength) {
    weaker.push(`minLength ${given.minLength} (the default is ${SECURE_PASSWORD_POLICY.minLength})`);
  }
  for (const field of ['requireLowercase', 'requireUppercase', 'requireDigits', 'requireSymbols'] as const) {
    if (given[field] === false) weaker.push(`${field} false`);
  }
  const days = (d: Duration) => d.toDays({ integral: false });
  const temporary = given.tempPasswordValidity;
  if (temporary && !temporary.isUnresolved() && days(temporary) > days(SECURE_PASSWORD_POLICY.tempPasswordValidity)) {
    weaker.push(`tempPasswordValidity ${temporary.toHumanString()} (the default is ${SECURE_PASSWORD_POLICY.tempPasswordValidity.toHumanString()})`);
  }
  if (weaker.length === 0) return;
  // cdk-nag's AwsSolutions-COG1 wants at least 8 characters with upper case, digits and symbols.
  const cog1 = (known(given.minLength) && given.minLength! < 8) ||
    given.requireUppercase === false || given.requireDigits === false || given.requireSymbols === false;
  const id = 'cdk-health-data-lake:WeakerPasswordPolicy';
  const ids = cog1 ? ['AwsSolutions-COG1', id] : [id];
  Annotations.of(userPool).addWarningV2(id, `The password policy is weaker than the lake's default in ${weaker.join(', ')}. ` +
    (cog1 ? 'cdk-nag reports AwsSolutions-COG1 on the user pool. ' : '') +
    'If this is your decision, acknowledge it in your app: ' +
    `Validations.of(lake.userPool).acknowledge(${ids.map((ack) => `{ id: '${ack}', reason: '<why>' }`).join(', ')}).`);
}
