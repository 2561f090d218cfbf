/**
 * The example app: what a consumer of the library writes. (A consumer imports from
 * 'cdk-health-data-lake'; inside this repository the example imports the sources directly.)
 */
import { App, Stack, StackProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks } from 'cdk-nag';
import { Construct, IConstruct } from 'constructs';
import { HealthDataLake } from '../src';

export class HealthDataLakeExampleStack extends Stack {
  public readonly lake: HealthDataLake;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    this.lake = new HealthDataLake(this, 'HealthDataLake', { createOutputs: true });
  }
}

export interface ExampleSummary {
  readonly outdir: string;
  readonly stackName: string;
  /** CloudFormation resource type -> how many the stack has. */
  readonly resources: Record<string, number>;
  readonly compliancePacks: string[];
  /** Every acknowledged rule of the compliance packs, where, and why. */
  readonly acknowledgements: { rule: string; path: string; reason: string }[];
}

/**
 * Synthesizes the example app with the compliance packs registered as CDK validation plugins, and
 * CloudFormation's resource schemas enforced: synthesis fails if any pack reports an unacknowledged
 * finding or any resource breaks its schema.
 */
export function synthesizeExample(outdir: string): ExampleSummary {
  const app = new App({
    outdir,
    context: {
      'aws:cdk:disable-creation-stack-traces': true,
      // CDK's own template validation (CloudFormation resource schemas) as errors, not warnings.
      '@aws-cdk/core:validateAgainstDefaultRules': true,
    },
  });
  const packs = [new AwsSolutionsChecks(app), new HIPAASecurityChecks(app), new NIST80053R5Checks(app)];
  Validations.of(app).addPlugins(...packs);
  const stack = new HealthDataLakeExampleStack(app, 'HealthDataLakeExample', {
    env: { account: '111122223333', region: 'eu-west-1' },
  });
  const assembly = app.synth();

  const template = assembly.getStackByName(stack.stackName).template as { Resources: Record<string, { Type: string }> };
  const resources: Record<string, number> = {};
  for (const resource of Object.values(template.Resources)) {
    resources[resource.Type] = (resources[resource.Type] ?? 0) + 1;
  }
  return {
    outdir: assembly.directory,
    stackName: stack.stackName,
    resources,
    compliancePacks: packs.map((pack) => pack.readPackName),
    acknowledgements: acknowledgementsIn(stack)
      .filter((ack) => packs.some((pack) => ack.rule.startsWith(`${pack.readPackName}-`))),
  };
}

function acknowledgementsIn(root: IConstruct): ExampleSummary['acknowledgements'] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.entries(entry.data as Record<string, string>)
        .map(([rule, reason]) => ({ rule: rule.replace(/^annotation::/i, ''), path: construct.node.path, reason }))));
}
