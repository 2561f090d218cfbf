# The Python twin of consumer.ts: test:python synthesizes both and requires identical templates.
# A lake in the app's own VPC, with a message reader named in the props, one granted afterwards, and the
# stored-message events sent to a KMS-encrypted SQS queue.
from aws_cdk import App, Duration, Stack
import aws_cdk.aws_ec2 as ec2
import aws_cdk.aws_events_targets as targets
import aws_cdk.aws_iam as iam
import aws_cdk.aws_kms as kms
import aws_cdk.aws_logs as logs
import aws_cdk.aws_sqs as sqs
from cdk_health_data_lake import HealthDataLake

app = App()
stack = Stack(app, "Consumer")
vpc = ec2.Vpc(stack, "Vpc",
    nat_gateways=0,
    subnet_configuration=[
        ec2.SubnetConfiguration(name="ingress", subnet_type=ec2.SubnetType.PUBLIC),
        ec2.SubnetConfiguration(name="lake", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
    ],
)
analytics = iam.Role(stack, "Analytics", assumed_by=iam.ServicePrincipal("glue.amazonaws.com"))
pipeline = iam.Role(stack, "Pipeline", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
lake = HealthDataLake(stack, "Lake",
    vpc=vpc,
    vpc_subnets=ec2.SubnetSelection(subnet_group_name="lake"),
    message_readers=[analytics],
    lake_name="hospital-lake",
    max_message_bytes=512 * 1024,
    credential_cache_ttl=Duration.seconds(30),
    token_validity=Duration.minutes(10),
    log_retention=logs.RetentionDays.ONE_YEAR,
    create_outputs=True,
)
lake.grant_read_messages(pipeline)

key = kms.Key(stack, "EventsKey", enable_key_rotation=True)
dead_letters = sqs.Queue(stack, "EventsDlq",
    encryption=sqs.QueueEncryption.KMS, encryption_master_key=key, enforce_ssl=True,
)
queue = sqs.Queue(stack, "Events",
    encryption=sqs.QueueEncryption.KMS, encryption_master_key=key, enforce_ssl=True,
    dead_letter_queue=sqs.DeadLetterQueue(queue=dead_letters, max_receive_count=3),
)
lake.on_message_stored("MessageStored", target=targets.SqsQueue(queue))

app.synth()
