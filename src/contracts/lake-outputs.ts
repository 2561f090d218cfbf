/**
 * The stack outputs of a lake (`createOutputs: true`), as the construct writes them and as the
 * operator's command-line tool reads them back from `DescribeStacks`. Each output id is the lake's
 * construct path in its stack (without non-alphanumerics) followed by one of these suffixes.
 *
 * Pure: no AWS or CDK imports, so that the bundled command-line tool can import it.
 */
export const LakeOutput = {
  API_URL: 'ApiUrl',
  USER_POOL_ID: 'UserPoolId',
  USER_POOL_CLIENT_ID: 'UserPoolClientId',
  IDENTITY_POOL_ID: 'IdentityPoolId',
  BUCKET_NAME: 'BucketName',
  LAKE_NAME: 'LakeName',
  READ_CLAIM: 'ReadClaim',
  WRITE_CLAIM: 'WriteClaim',
  REVOCATION_DELAY_SECONDS: 'RevocationDelaySeconds',
} as const;

/** The suffix of one output id. */
export type LakeOutputSuffix = typeof LakeOutput[keyof typeof LakeOutput];

/** A deployed lake, as its stack outputs describe it. */
export interface DeployedLake {
  /** The stack that holds the lake (undefined when the ids were given explicitly). */
  readonly stackName?: string;
  /** The region of the stack, the user pool and the identity pool. */
  readonly region: string;
  /** The output prefix: the lake's construct path in its stack without non-alphanumerics, e.g. `Lake`. */
  readonly outputPrefix?: string;
  readonly apiUrl: string;
  readonly userPoolId: string;
  readonly userPoolClientId: string;
  readonly identityPoolId: string;
  readonly bucketName: string;
  readonly lakeName: string;
  /** The ID-token claim of the read institute, e.g. `custom:read`. */
  readonly readClaim: string;
  /** The ID-token claim of the write institute, e.g. `custom:write`. */
  readonly writeClaim: string;
  /** Seconds until a signed-out user loses API access on every handler instance. */
  readonly revocationDelaySeconds: number;
}

/**
 * The field of `DeployedLake` each output fills: the one list the construct writes the outputs from
 * and the tool reads them back by.
 */
export const LAKE_OUTPUT_FIELDS = {
  [LakeOutput.API_URL]: 'apiUrl',
  [LakeOutput.USER_POOL_ID]: 'userPoolId',
  [LakeOutput.USER_POOL_CLIENT_ID]: 'userPoolClientId',
  [LakeOutput.IDENTITY_POOL_ID]: 'identityPoolId',
  [LakeOutput.BUCKET_NAME]: 'bucketName',
  [LakeOutput.LAKE_NAME]: 'lakeName',
  [LakeOutput.READ_CLAIM]: 'readClaim',
  [LakeOutput.WRITE_CLAIM]: 'writeClaim',
  [LakeOutput.REVOCATION_DELAY_SECONDS]: 'revocationDelaySeconds',
} as const satisfies Record<LakeOutputSuffix, keyof DeployedLake>;

/** A field of `DeployedLake` that an output holds. */
export type LakeOutputField = typeof LAKE_OUTPUT_FIELDS[LakeOutputSuffix];

/** What the construct writes into the outputs: each field as a string (a token at synthesis). */
export type LakeOutputValues = { readonly [F in LakeOutputField]: string };
