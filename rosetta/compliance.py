# Python of the README's TypeScript example that contains: Validations.of(app).addPlugins(
# (the example is a fragment, so jsii-rosetta cannot compile it and marks its translation "may contain
# errors"; test:python runs this Python on an app with a lake).
from aws_cdk import Validations
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks

Validations.of(app).add_plugins(AwsSolutionsChecks(app), HIPAASecurityChecks(app), NIST80053R5Checks(app))
