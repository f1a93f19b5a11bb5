"""Starts moto's server on 127.0.0.1, with the gaps of gaps.py filled in and the resources a
blueprint only references created first.

Usage: python server.py PORT [SEED.json]

SEED.json lists what must exist before an apply, the way it exists in the account the
environment runs in:

    {"account": "111111111111", "region": "us-east-1",
     "certificates": ["arn:aws:acm:us-east-1:111111111111:certificate/..."],
     "hosted_zones": [{"id": "Z0123456789ABCDEFGHIJ", "name": "example.com"}],
     "ssm_parameters": ["/app/db-password"],
     "secrets": ["arn:aws:secretsmanager:us-east-1:111111111111:secret:app/db-AbCdEf"],
     "state_buckets": [{"bucket": "acme-terraform-state", "region": "us-east-1"}]}

The state buckets are the S3 backend's: they exist before `terraform init`, as a platform team
creates them once per account or organisation.

Prints "ready <port>" on stdout once the server answers and the seed is in place; stops on
SIGTERM or SIGINT.
"""

import json
import os
import signal
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gaps  # noqa: E402


def access_key(account: str) -> str:
    return "AKIATF00" + account


def seed(port: int, spec: dict) -> None:
    import boto3
    from moto.acm.models import acm_backends
    from moto.route53.models import route53_backends

    account = spec["account"]
    region = spec["region"]
    session = boto3.session.Session(
        aws_access_key_id=access_key(account),
        aws_secret_access_key="emulator",
        region_name=region,
    )

    def client(name: str):
        return session.client(name, endpoint_url="http://127.0.0.1:%d" % port)

    for arn in spec.get("certificates", []):
        # An issued certificate under the exact ARN the blueprint names.
        cert_region = arn.split(":")[3]
        acm = session.client("acm", region_name=cert_region,
                             endpoint_url="http://127.0.0.1:%d" % port)
        made = acm.request_certificate(DomainName="example.com")["CertificateArn"]
        backend = acm_backends[account][cert_region]
        bundle = backend._certificates.pop(made)
        bundle.arn = arn
        bundle.status = "ISSUED"
        backend._certificates[arn] = bundle

    for zone in spec.get("hosted_zones", []):
        r53 = client("route53")
        made = r53.create_hosted_zone(Name=zone["name"], CallerReference=zone["id"])
        made_id = made["HostedZone"]["Id"].split("/")[-1]
        backend = route53_backends[account]["aws"]
        hosted = backend.zones.pop(made_id)
        hosted.resource_id = zone["id"]
        backend.zones[zone["id"]] = hosted

    for name in spec.get("ssm_parameters", []):
        client("ssm").put_parameter(Name=name, Value="emulator", Type="SecureString")

    made_secrets = set()
    for ref in spec.get("secrets", []):
        # A name, or an ARN: its last part without the six random characters AWS appends.
        # A name and an ARN may name the same secret (an environment's and the app's).
        name = ref
        if ":secret:" in ref:
            name = ref.split(":secret:", 1)[1]
            if len(name) > 7 and name[-7] == "-":
                name = name[:-7]
        if name not in made_secrets:
            made_secrets.add(name)
            client("secretsmanager").create_secret(Name=name, SecretString="emulator")

    for vpc in spec.get("vpcs", []):
        # An existing network under the exact IDs the blueprint names: the ID generators of
        # the EC2 models are swapped for the one call that creates each.
        import moto.ec2.models.subnets as subnet_models
        import moto.ec2.models.vpcs as vpc_models

        ec2 = client("ec2")
        made_vpc, made_subnet = vpc_models.random_vpc_id, subnet_models.random_subnet_id
        try:
            vpc_models.random_vpc_id = lambda: vpc["id"]
            ec2.create_vpc(CidrBlock=vpc["cidr"])
            for subnet in vpc["subnets"]:
                subnet_models.random_subnet_id = lambda subnet=subnet: subnet["id"]
                ec2.create_subnet(VpcId=vpc["id"], CidrBlock=subnet["cidr"],
                                  AvailabilityZone=subnet["az"])
        finally:
            vpc_models.random_vpc_id, subnet_models.random_subnet_id = made_vpc, made_subnet

    for spec_bucket in spec.get("state_buckets", []):
        bucket_region = spec_bucket["region"]
        s3 = session.client("s3", region_name=bucket_region,
                            endpoint_url="http://127.0.0.1:%d" % port)
        args = {"Bucket": spec_bucket["bucket"]}
        if bucket_region != "us-east-1":
            args["CreateBucketConfiguration"] = {"LocationConstraint": bucket_region}
        s3.create_bucket(**args)
        s3.put_bucket_versioning(Bucket=spec_bucket["bucket"],
                                 VersioningConfiguration={"Status": "Enabled"})


def answering(port: int) -> None:
    """Returns once the server answers an AWS call (STS GetCallerIdentity)."""
    import time

    import boto3

    sts = boto3.client("sts", endpoint_url="http://127.0.0.1:%d" % port, region_name="us-east-1",
                       aws_access_key_id=access_key("123456789012"),
                       aws_secret_access_key="emulator")
    for _ in range(100):
        try:
            sts.get_caller_identity()
            return
        except Exception:  # noqa: BLE001  (not up yet)
            time.sleep(0.1)
    sts.get_caller_identity()


def main() -> None:
    port = int(sys.argv[1])
    spec = None
    if len(sys.argv) > 2:
        with open(sys.argv[2]) as f:
            spec = json.load(f)
    gaps.install()
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    if spec:
        seed(port, spec)
    answering(port)
    print("ready %d" % port, flush=True)

    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait()
    server.stop()


if __name__ == "__main__":
    main()
