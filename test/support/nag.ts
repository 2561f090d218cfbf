import { Stack } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks } from 'cdk-nag';

/** The compliance packs every stack with the construct is checked against. */
export const compliancePacks = () => [new AwsSolutionsChecks(), new HIPAASecurityChecks(), new NIST80053R5Checks()];

/** Every unacknowledged finding of the packs, as `RuleId at construct/path` lines (empty when compliant). */
export function unacknowledgedFindings(stack: Stack): string[] {
  return compliancePacks().flatMap((pack) =>
    pack.validateScope(stack).violations.flatMap((violation) =>
      violation.violatingResources.map((resource) => `${violation.ruleName} at ${resource.constructPath}`)),
  );
}
