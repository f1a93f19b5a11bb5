"""Where moto answers differently from AWS: one entry per gap, each naming the AWS behaviour it
reproduces. Nothing here changes what the generated Terraform asks for; a call that AWS would
reject stays rejected."""

import re


def account_from_access_key() -> None:
    """AWS: the account is the one the credentials belong to. The harness signs each root's calls
    with an access key that carries its environment's account ID (`AKIATF00` + 12 digits; moto
    reads only 20-character keys), so that `allowed_account_ids` and ARNs naming that account
    hold as they would in the account itself."""
    import moto.core.responses as responses
    import moto.iam.models as iam

    original = iam.get_account_id_from

    def get_account_id_from(access_key: str) -> str:
        match = re.fullmatch(r"AKIATF00([0-9]{12})", access_key or "")
        if match:
            return match.group(1)
        return original(access_key)

    iam.get_account_id_from = get_account_id_from
    assert responses  # the responses module imports it from iam at call time


def application_autoscaling_tags() -> None:
    """AWS: Application Auto Scaling scalable targets take `Tags` on RegisterScalableTarget and
    answer ListTagsForResource, TagResource and UntagResource by the target's ARN (moto keeps no
    tags and does not implement the three actions)."""
    import json

    from moto.applicationautoscaling import responses

    cls = responses.ApplicationAutoScalingResponse
    tags: dict = {}  # ARN -> {key: value}, for every account and region of this server

    register = cls.register_scalable_target

    def register_scalable_target(self):
        out = register(self)
        given = self._get_param("Tags") or {}
        if given:
            arn = json.loads(out)["ScalableTargetARN"]
            tags.setdefault(arn, {}).update(given)
        return out

    def list_tags_for_resource(self):
        return json.dumps({"Tags": tags.get(self._get_param("ResourceARN"), {})})

    def tag_resource(self):
        tags.setdefault(self._get_param("ResourceARN"), {}).update(self._get_param("Tags") or {})
        return json.dumps({})

    def untag_resource(self):
        held = tags.get(self._get_param("ResourceARN"), {})
        for key in self._get_param("TagKeys") or []:
            held.pop(key, None)
        return json.dumps({})

    cls.register_scalable_target = register_scalable_target
    cls.list_tags_for_resource = list_tags_for_resource
    cls.tag_resource = tag_resource
    cls.untag_resource = untag_resource


def security_group_rule_descriptions() -> None:
    """AWS: DescribeSecurityGroupRules returns the description of a rule that references a
    security group or a prefix list (moto returns it only for CIDR rules)."""
    from moto.ec2.models.security_groups import SecurityGroupRule

    def description(self):
        return (
            self.ip_range.get("Description")
            or (self.source_group or {}).get("Description")
            or (self.prefix_list_id or {}).get("Description")
        )

    SecurityGroupRule.description = property(description)


# Fields of CreateService/UpdateService that ECS returns in DescribeServices and moto drops.
ECS_SERVICE_FIELDS = (
    "availabilityZoneRebalancing",
    "capacityProviderStrategy",
    "deploymentConfiguration",
    "enableECSManagedTags",
    "enableExecuteCommand",
    "healthCheckGracePeriodSeconds",
    "placementConstraints",
    "placementStrategy",
    "serviceConnectConfiguration",
)


def ecs_service_fields() -> None:
    """AWS: an ECS service keeps its capacity provider strategy, deployment configuration,
    health check grace period, managed tags, ECS Exec, placement and Service Connect settings,
    and returns them in DescribeServices (moto drops them, so every plan would replace the
    service). A service with a capacity provider strategy has no launch type, and one without
    awsvpc networking (bridge mode) has no networkConfiguration at all (moto returns an empty
    one, on which the provider crashes)."""
    from moto.ecs import responses

    cls = responses.EC2ContainerServiceResponse

    def keep(self, result):
        service = result.result["service"]
        for field in ECS_SERVICE_FIELDS:
            value = self._get_param(field)
            if value is not None:
                setattr(service, field, value)
        if not service.network_configuration:
            service.network_configuration = None
        if getattr(service, "capacityProviderStrategy", None):
            service.launch_type = None
            for deployment in service.deployments:
                deployment.pop("launchType", None)
                deployment["capacityProviderStrategy"] = service.capacityProviderStrategy
        return result

    for action in ("create_service", "update_service"):
        original = getattr(cls, action)

        def wrapped(self, original=original):
            return keep(self, original(self))

        setattr(cls, action, wrapped)


def rds_serverless_v1_only_scaling() -> None:
    """AWS: DescribeDBClusters returns ScalingConfigurationInfo only for clusters in the
    `serverless` engine mode (Aurora Serverless v1); a provisioned or Serverless v2 cluster has
    none (moto returns an empty one for every cluster, which the provider reads as a block)."""
    from moto.rds.models import DBCluster

    original = DBCluster.scaling_configuration_info

    def scaling_configuration_info(self):
        if self.engine_mode != "serverless":
            return None
        return original.fget(self)

    DBCluster.scaling_configuration_info = property(scaling_configuration_info)


def rds_performance_insights() -> None:
    """AWS: a DB instance keeps EnablePerformanceInsights, its retention period and KMS key from
    CreateDBInstance/ModifyDBInstance and returns them as PerformanceInsightsEnabled,
    PerformanceInsightsRetentionPeriod and PerformanceInsightsKMSKeyId (moto drops them)."""
    from moto.rds import responses

    cls = responses.RDSResponse

    def keep(self, result):
        instance = result.result["DBInstance"]
        enabled = self.params.get("EnablePerformanceInsights")
        if enabled is not None:
            instance.PerformanceInsightsEnabled = enabled in (True, "true", "True")
        for field in ("PerformanceInsightsRetentionPeriod", "PerformanceInsightsKMSKeyId"):
            if self.params.get(field) is not None:
                setattr(instance, field, self.params[field])
        if getattr(instance, "PerformanceInsightsEnabled", False) and not getattr(
            instance, "PerformanceInsightsRetentionPeriod", None
        ):
            instance.PerformanceInsightsRetentionPeriod = 7
        return result

    for action in ("create_db_instance", "modify_db_instance"):
        original = getattr(cls, action)

        def wrapped(self, original=original):
            return keep(self, original(self))

        setattr(cls, action, wrapped)


def service_discovery_service_fields() -> None:
    """AWS: a Cloud Map service created with a DnsConfig reports its NamespaceId (taken from the
    DnsConfig) and the type DNS_HTTP, and a custom health check config always carries
    FailureThreshold 1 (moto reports what the request named at the top level only)."""
    from moto.servicediscovery.models import Service

    original = Service.to_json

    def to_json(self):
        out = original(self)
        dns = out.get("DnsConfig") or {}
        if not out.get("NamespaceId") and dns.get("NamespaceId"):
            out["NamespaceId"] = dns["NamespaceId"]
        if not out.get("Type"):
            out["Type"] = "DNS_HTTP" if dns else "HTTP"
        if out.get("HealthCheckCustomConfig") == {}:
            out["HealthCheckCustomConfig"] = {"FailureThreshold": 1}
        return out

    Service.to_json = to_json


def launch_template_own_tags() -> None:
    """AWS: the TagSpecifications of CreateLaunchTemplate tag the launch template itself; only
    the TagSpecifications inside LaunchTemplateData (instance, volume, ...) are part of its
    versions. moto copies the template's own tags into every version's data as a
    "launch-template" specification, which the provider then reads as a block to remove."""
    from moto.ec2.models.launch_templates import LaunchTemplateVersion

    original = LaunchTemplateVersion.__init__

    def __init__(self, template, number, data, description):
        specs = data.get("TagSpecifications")
        if specs:
            data = dict(data)
            data["TagSpecifications"] = [
                s for s in specs if s.get("ResourceType") != "launch-template"
            ]
        original(self, template, number, data, description)

    LaunchTemplateVersion.__init__ = __init__


def autoscaling_instance_refresh() -> None:
    """AWS: StartInstanceRefresh starts replacing a group's instances and returns the refresh's
    ID; DescribeInstanceRefreshes lists it, and CancelInstanceRefresh stops it (moto implements
    none of them). The emulator runs no instances, so a refresh completes at once."""
    import uuid

    from moto.autoscaling import responses
    from moto.core.responses import ActionResult

    cls = responses.AutoScalingResponse
    refreshes: dict = {}  # group name -> [refresh]

    def start_instance_refresh(self):
        group = self._get_param("AutoScalingGroupName")
        refresh_id = str(uuid.uuid4())
        refreshes.setdefault(group, []).insert(
            0,
            {
                "InstanceRefreshId": refresh_id,
                "AutoScalingGroupName": group,
                "Status": "Successful",
                "PercentageComplete": 100,
                "InstancesToUpdate": 0,
            },
        )
        return ActionResult({"InstanceRefreshId": refresh_id})

    def describe_instance_refreshes(self):
        group = self._get_param("AutoScalingGroupName")
        return ActionResult({"InstanceRefreshes": refreshes.get(group, [])})

    def cancel_instance_refresh(self):
        group = self._get_param("AutoScalingGroupName")
        for refresh in refreshes.get(group, []):
            if refresh["Status"] in ("Pending", "InProgress"):
                refresh["Status"] = "Cancelled"
                return ActionResult({"InstanceRefreshId": refresh["InstanceRefreshId"]})
        return ActionResult({})

    cls.start_instance_refresh = start_instance_refresh
    cls.describe_instance_refreshes = describe_instance_refreshes
    cls.cancel_instance_refresh = cancel_instance_refresh


def install() -> None:
    account_from_access_key()
    application_autoscaling_tags()
    security_group_rule_descriptions()
    ecs_service_fields()
    rds_serverless_v1_only_scaling()
    rds_performance_insights()
    service_discovery_service_fields()
    launch_template_own_tags()
    autoscaling_instance_refresh()
