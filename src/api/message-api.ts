import { Aws, Duration, RemovalPolicy, Stack, Tokenization, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { HandlerFunction } from './handler-function';
import { HandlerEnvironment, METRICS_NAMESPACE } from '../runtime/handler-environment';

export interface MessageApiProps {
  /** The lake's name: its handlers' service name and the API's name. */
  readonly lakeName: string;
  readonly userPool: cognito.IUserPool;
  readonly userPoolClient: cognito.IUserPoolClient;
  readonly identityPoolId: string;
  readonly bucket: s3.IBucket;
  readonly readClaim: string;
  readonly writeClaim: string;
  readonly maxMessageBytes: number;
  /** Seconds a handler trusts one identity-pool exchange (0: no cache). */
  readonly credentialCacheTtlSeconds: number;
  readonly throttlingRateLimit: number;
  readonly throttlingBurstLimit: number;
  readonly cors?: apigwv2.CorsPreflightOptions;
  readonly reservedConcurrentExecutions?: number;
  readonly vpc: ec2.IVpc;
  readonly vpcSubnets: ec2.SubnetSelection;
  readonly securityGroup: ec2.ISecurityGroup;
  readonly logsKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The HTTP API: `POST /messages` and `GET /messages/{id}`, both behind a JWT authorizer that
 * accepts ID tokens of this user pool and app client only. The handlers act with the caller's
 * own identity-pool credentials; their execution roles have no access to the lake's data.
 */
export class MessageApi extends Construct {
  public readonly api: apigwv2.HttpApi;
  public readonly ingestFunction: lambda.Function;
  public readonly readFunction: lambda.Function;
  public readonly accessLogGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: MessageApiProps) {
    super(scope, id);

    const environment = {
      [HandlerEnvironment.BUCKET_NAME]: props.bucket.bucketName,
      [HandlerEnvironment.IDENTITY_POOL_ID]: props.identityPoolId,
      [HandlerEnvironment.IDENTITY_PROVIDER_NAME]: props.userPool.userPoolProviderName,
      [HandlerEnvironment.READ_CLAIM]: props.readClaim,
      [HandlerEnvironment.WRITE_CLAIM]: props.writeClaim,
      [HandlerEnvironment.MAX_MESSAGE_BYTES]: Tokenization.stringifyNumber(props.maxMessageBytes),
      [HandlerEnvironment.CREDENTIAL_CACHE_TTL_SECONDS]: Tokenization.stringifyNumber(props.credentialCacheTtlSeconds),
      // One namespace for every lake; the service name (the lake's) is the metrics' dimension.
      [HandlerEnvironment.POWERTOOLS_SERVICE_NAME]: props.lakeName,
      [HandlerEnvironment.POWERTOOLS_METRICS_NAMESPACE]: METRICS_NAMESPACE,
    };
    const functionOptions = (name: string) => ({
      description: `Health data lake: ${name}`,
      environment,
      memorySize: 512,
      timeout: Duration.seconds(15),
      architecture: lambda.Architecture.ARM_64,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      securityGroups: [props.securityGroup],
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      logGroup: new logs.LogGroup(this, `${name}Logs`, {
        encryptionKey: props.logsKey,
        retention: props.logRetention,
        removalPolicy: props.removalPolicy,
      }),
      loggingFormat: lambda.LoggingFormat.JSON,
    });
    this.ingestFunction = new HandlerFunction(this, 'Ingest', 'ingest', functionOptions('Ingest'));
    this.readFunction = new HandlerFunction(this, 'Read', 'read', functionOptions('Read'));

    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', {
      encryptionKey: props.logsKey,
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });

    this.api = new apigwv2.HttpApi(this, 'Api', {
      apiName: props.lakeName,
      description: 'Health data lake: HL7 v2 messages in and out, per institute',
      // Issuer = this user pool, in the partition's own domain (not always amazonaws.com); audience = the app client.
      defaultAuthorizer: new HttpJwtAuthorizer('InstituteUsers',
        `https://cognito-idp.${Stack.of(this).region}.${Aws.URL_SUFFIX}/${props.userPool.userPoolId}`, {
          jwtAudience: [props.userPoolClient.userPoolClientId],
          identitySource: ['$request.header.Authorization'],
        }),
      corsPreflight: props.cors,
      createDefaultStage: false,
    });
    new apigwv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.throttlingRateLimit, burstLimit: props.throttlingBurstLimit },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogGroup),
        // No request or response bodies, no tokens: who called what, and the outcome.
        format: apigw.AccessLogFormat.custom(JSON.stringify({
          requestId: '$context.requestId',
          requestTime: '$context.requestTime',
          routeKey: '$context.routeKey',
          status: '$context.status',
          sourceIp: '$context.identity.sourceIp',
          userAgent: '$context.identity.userAgent',
          caller: '$context.authorizer.claims.sub',
          responseLength: '$context.responseLength',
          integrationStatus: '$context.integrationStatus',
          integrationLatency: '$context.integrationLatency',
          authorizerError: '$context.authorizer.error',
        })),
      },
    });

    this.api.addRoutes({
      path: '/messages',
      methods: [apigwv2.HttpMethod.POST],
      integration: new HttpLambdaIntegration('IngestIntegration', this.ingestFunction),
    });
    this.api.addRoutes({
      path: '/messages/{id}',
      methods: [apigwv2.HttpMethod.GET],
      integration: new HttpLambdaIntegration('ReadIntegration', this.readFunction),
    });

    this.acknowledgeHandlerFindings(props.reservedConcurrentExecutions === undefined);
  }

  private acknowledgeHandlerFindings(noReservedConcurrency: boolean): void {
    const synchronous = 'API Gateway invokes the handler synchronously and returns its errors to the caller, ' +
      'who retries; a dead-letter queue applies to asynchronous invocations only.';
    const managedPolicies = (basic: string) => [
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: basic,
      },
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
        reason: 'Lets the function manage its network interfaces in the VPC. ' + basic,
      },
    ];
    for (const handler of [this.ingestFunction, this.readFunction]) {
      Validations.of(handler).acknowledge(
        ...managedPolicies('The AWS-managed execution policies grant no data access: the handler stores and ' +
          'reads messages with the caller\'s own identity-pool credentials.'),
        { id: 'HIPAA.Security-LambdaDLQ', reason: synchronous },
        { id: 'NIST.800.53.R5-LambdaDLQ', reason: synchronous },
      );
      if (noReservedConcurrency) {
        const throttled = 'The API stage throttles requests; reserved concurrency is left to the account owner ' +
          '(prop reservedConcurrentExecutions), since reserving it can fail in accounts with a low concurrency quota.';
        Validations.of(handler).acknowledge(
          { id: 'HIPAA.Security-LambdaConcurrency', reason: throttled },
          { id: 'NIST.800.53.R5-LambdaConcurrency', reason: throttled },
        );
      }
    }
  }
}
