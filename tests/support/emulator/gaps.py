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
    service). A service with a capacity provider strategy has no launch type."""
    from moto.ecs import responses

    cls = responses.EC2ContainerServiceResponse

    def keep(self, result):
        service = result.result["service"]
        for field in ECS_SERVICE_FIELDS:
            value = self._get_param(field)
            if value is not None:
                setattr(service, field, value)
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


def install() -> None:
    account_from_access_key()
    application_autoscaling_tags()
    security_group_rule_descriptions()
    ecs_service_fields()
