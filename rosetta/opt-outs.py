# Python of the README's TypeScript example that contains: Validations.of(lake.userPool).acknowledge(
# (jsii-rosetta turns the last acknowledgement of the variadic call into keyword arguments, which Python refuses).
from aws_cdk import Acknowledgment, App, Stack, Validations
import aws_cdk.aws_cognito as cognito
from cdk_health_data_lake import HealthDataLake

app = App()
stack = Stack(app, "Lake")
lake = HealthDataLake(stack, "Lake",
    mfa=cognito.Mfa.OFF,
    threat_protection_mode=cognito.StandardThreatProtectionMode.NO_ENFORCEMENT
)
Validations.of(lake.user_pool).acknowledge(
    Acknowledgment(id="AwsSolutions-COG2", reason="Users sign in through the hospital SSO, which enforces MFA."),
    Acknowledgment(id="cdk-health-data-lake:MfaNotRequired", reason="MFA is enforced by the hospital SSO."),
    Acknowledgment(id="AwsSolutions-COG8", reason="Risk-based sign-in checks run in the hospital SSO."),
    Acknowledgment(id="cdk-health-data-lake:ThreatProtectionNotEnforced", reason="Threat protection runs in the hospital SSO."),
)

app.synth()
