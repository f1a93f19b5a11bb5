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


def elasticache_parameter_groups() -> None:
    """AWS: CreateCacheParameterGroup, DescribeCacheParameterGroups, ModifyCacheParameterGroup,
    ResetCacheParameterGroup, DescribeCacheParameters and DeleteCacheParameterGroup manage
    parameter groups, which are tagged by their ARN like every ElastiCache resource (moto
    implements none of the six and tags only clusters, snapshots, subnet groups, replication
    groups and users). A name is unique per account and region; deleting a group a cache still
    uses is refused."""
    from moto.core.exceptions import ServiceException
    from moto.core.responses import ActionResult, EmptyResult
    from moto.elasticache import models, responses

    class Fault(ServiceException):
        def __init__(self, code: str, message: str):
            self.code = code
            super().__init__(message)

    original_init = models.ElastiCacheBackend.__init__

    def backend_init(self, region_name, account_id):
        original_init(self, region_name, account_id)
        self.arn_regex = re.compile(
            r"^arn:aws:elasticache:.*:[0-9]*:"
            r"(cluster|snapshot|subnetgroup|replicationgroup|user|usergroup|parametergroup):.*$"
        )
        self.tfb_parameter_groups = {}  # name -> group
        self.tfb_user_groups = {}  # id -> group

    models.ElastiCacheBackend.__init__ = backend_init
    cls = responses.ElastiCacheResponse

    def group(self, name):
        groups = self.elasticache_backend.tfb_parameter_groups
        if name not in groups:
            raise Fault("CacheParameterGroupNotFound", f"CacheParameterGroup {name} not found.")
        return groups[name]

    def create_cache_parameter_group(self):
        backend = self.elasticache_backend
        name = self._get_param("CacheParameterGroupName")
        if name in backend.tfb_parameter_groups:
            raise Fault(
                "CacheParameterGroupAlreadyExists",
                f"Parameter group {name} already exists.",
            )
        made = {
            "CacheParameterGroupName": name,
            "CacheParameterGroupFamily": self._get_param("CacheParameterGroupFamily"),
            "Description": self._get_param("Description"),
            "IsGlobal": False,
            "ARN": f"arn:aws:elasticache:{self.region}:{self.current_account}:parametergroup:{name}",
            "parameters": {},
        }
        backend.tfb_parameter_groups[name] = made
        tags = self._get_param("Tags") or []
        if tags:
            backend.tagging_service.tag_resource(made["ARN"], tags)
        return ActionResult({"CacheParameterGroup": public(made)})

    def public(made):
        return {k: v for k, v in made.items() if k != "parameters"}

    def describe_cache_parameter_groups(self):
        name = self._get_param("CacheParameterGroupName")
        if name:
            found = [group(self, name)]
        else:
            found = list(self.elasticache_backend.tfb_parameter_groups.values())
        return ActionResult({"CacheParameterGroups": [public(g) for g in found]})

    def modify_cache_parameter_group(self):
        name = self._get_param("CacheParameterGroupName")
        held = group(self, name)
        for p in self._get_param("ParameterNameValues") or []:
            held["parameters"][p["ParameterName"]] = p["ParameterValue"]
        return ActionResult({"CacheParameterGroupName": name})

    def reset_cache_parameter_group(self):
        name = self._get_param("CacheParameterGroupName")
        held = group(self, name)
        if self._get_bool_param("ResetAllParameters"):
            held["parameters"].clear()
        for p in self._get_param("ParameterNameValues") or []:
            held["parameters"].pop(p["ParameterName"], None)
        return ActionResult({"CacheParameterGroupName": name})

    def describe_cache_parameters(self):
        held = group(self, self._get_param("CacheParameterGroupName"))
        # Only what the user set: the engine defaults are not modelled (Source=user is what the
        # provider asks for).
        params = [
            {
                "ParameterName": k,
                "ParameterValue": v,
                "Source": "user",
                "DataType": "string",
                "IsModifiable": True,
            }
            for k, v in sorted(held["parameters"].items())
        ]
        return ActionResult({"Parameters": params})

    def delete_cache_parameter_group(self):
        backend = self.elasticache_backend
        name = self._get_param("CacheParameterGroupName")
        group(self, name)
        in_use = [
            rg.replication_group_id
            for rg in backend.replication_groups.values()
            if rg.cache_parameter_group_name == name and rg.status != "deleting"
        ]
        if in_use:
            raise Fault(
                "InvalidCacheParameterGroupState",
                f"One or more cache clusters are still members of this parameter group {name}, "
                "so the group cannot be deleted.",
            )
        backend.tfb_parameter_groups.pop(name)
        return EmptyResult()

    cls.create_cache_parameter_group = create_cache_parameter_group
    cls.describe_cache_parameter_groups = describe_cache_parameter_groups
    cls.modify_cache_parameter_group = modify_cache_parameter_group
    cls.reset_cache_parameter_group = reset_cache_parameter_group
    cls.describe_cache_parameters = describe_cache_parameters
    cls.delete_cache_parameter_group = delete_cache_parameter_group

    def user_group_of(self, group_id):
        groups = self.elasticache_backend.tfb_user_groups
        if group_id not in groups:
            raise Fault("UserGroupNotFound", f"User group {group_id} not found.")
        held = groups[group_id]
        if held["Status"] == "deleting":
            # Deletion completes between two calls, as users' does in moto.
            groups.pop(group_id)
        return held

    def with_replication_groups(self, held):
        out = dict(held)
        out["ReplicationGroups"] = [
            rg.replication_group_id
            for rg in self.elasticache_backend.replication_groups.values()
            if held["UserGroupId"] in (rg.user_group_ids or [])
        ]
        return out

    def create_user_group(self):
        """AWS: CreateUserGroup needs every user to exist and one of them to be named
        "default"; the group is tagged by its ARN."""
        backend = self.elasticache_backend
        group_id = self._get_param("UserGroupId")
        if group_id in backend.tfb_user_groups:
            raise Fault("UserGroupAlreadyExists", f"User group {group_id} already exists.")
        user_ids = self._get_param("UserIds") or []
        for user_id in user_ids:
            if user_id not in backend.users:
                raise Fault("UserNotFound", f"User {user_id} not found.")
        if user_ids and "default" not in [backend.users[u].name for u in user_ids]:
            raise Fault(
                "DefaultUserRequired", "A user with the username default must be present."
            )
        held = {
            "UserGroupId": group_id,
            "Status": "active",
            "Engine": self._get_param("Engine"),
            "UserIds": user_ids,
            "MinimumEngineVersion": "6.0",
            "ARN": f"arn:aws:elasticache:{self.region}:{self.current_account}:usergroup:{group_id}",
        }
        backend.tfb_user_groups[group_id] = held
        tags = self._get_param("Tags") or []
        if tags:
            backend.tagging_service.tag_resource(held["ARN"], tags)
        return ActionResult(with_replication_groups(self, held))

    def describe_user_groups(self):
        group_id = self._get_param("UserGroupId")
        if group_id:
            found = [user_group_of(self, group_id)]
        else:
            found = list(self.elasticache_backend.tfb_user_groups.values())
        return ActionResult({"UserGroups": [with_replication_groups(self, g) for g in found]})

    def modify_user_group(self):
        held = user_group_of(self, self._get_param("UserGroupId"))
        users = [u for u in held["UserIds"] if u not in (self._get_param("UserIdsToRemove") or [])]
        for user_id in self._get_param("UserIdsToAdd") or []:
            if user_id not in self.elasticache_backend.users:
                raise Fault("UserNotFound", f"User {user_id} not found.")
            if user_id not in users:
                users.append(user_id)
        held["UserIds"] = users
        return ActionResult(with_replication_groups(self, held))

    def delete_user_group(self):
        held = user_group_of(self, self._get_param("UserGroupId"))
        if with_replication_groups(self, held)["ReplicationGroups"]:
            raise Fault(
                "InvalidUserGroupState",
                f"User group {held['UserGroupId']} is associated with a replication group.",
            )
        held["Status"] = "deleting"
        return ActionResult(with_replication_groups(self, held))

    cls.create_user_group = create_user_group
    cls.describe_user_groups = describe_user_groups
    cls.modify_user_group = modify_user_group
    cls.delete_user_group = delete_user_group


def elasticache_replication_group_deletion() -> None:
    """AWS: DeleteReplicationGroup takes a FinalSnapshotIdentifier and leaves that snapshot
    (refused with SnapshotAlreadyExistsFault when the name is taken), and the group is gone once
    the deletion completes (moto ignores the snapshot and keeps the group "deleting" for ever,
    so a destroy would wait until it times out). Here the deletion completes between two calls."""
    from moto.elasticache import models, responses
    from moto.elasticache.exceptions import ReplicationGroupNotFound

    cls = responses.ElastiCacheResponse
    delete = cls.delete_replication_group

    def delete_replication_group(self):
        snapshot = self._get_param("FinalSnapshotIdentifier")
        if snapshot:
            self.elasticache_backend.create_snapshot(
                snapshot_name=snapshot,
                replication_group_id=self._get_param("ReplicationGroupId"),
                cache_cluster_id=None,
                kms_key_id=None,
                tags=None,
            )
        return delete(self)

    cls.delete_replication_group = delete_replication_group

    describe = models.ElastiCacheBackend.describe_replication_groups

    def describe_replication_groups(self, replication_group_id=None):
        found = describe(self, replication_group_id)
        gone = [rg for rg in found if rg.status == "deleting"]
        for rg in gone:
            self.replication_groups.pop(rg.replication_group_id, None)
            for member in rg.member_clusters:
                self.cache_clusters.pop(member, None)
        if replication_group_id and gone:
            raise ReplicationGroupNotFound(replication_group_id)
        return [rg for rg in found if rg.status != "deleting"]

    models.ElastiCacheBackend.describe_replication_groups = describe_replication_groups


def elasticache_replication_group_members() -> None:
    """AWS: a replication group without cluster mode has NumCacheClusters member clusters (a
    primary and its replicas), each of which DescribeCacheClusters answers with the group's
    engine, node type, subnet group, parameter group and security groups (moto makes one member
    whatever the count, and no cache cluster for it)."""
    import inspect

    from moto.elasticache import models

    def security_groups(self):
        return [{"SecurityGroupId": g, "Status": "active"} for g in self.security_group_ids]

    def cache_parameter_group(self):
        if not self.cache_parameter_group_name:
            return None
        return {
            "CacheParameterGroupName": self.cache_parameter_group_name,
            "ParameterApplyStatus": "in-sync",
            "CacheNodeIdsToReboot": [],
        }

    models.CacheCluster.security_groups = property(security_groups)
    models.CacheCluster.cache_parameter_group = property(cache_parameter_group)

    create = models.ElastiCacheBackend.create_replication_group
    cluster_args = [
        name for name in inspect.signature(models.CacheCluster.__init__).parameters if name != "self"
    ]

    def create_replication_group(self, *args, **kwargs):
        rg = create(self, *args, **kwargs)
        wanted = kwargs.get("num_cache_clusters") or 1
        if rg.cluster_mode != "enabled" and len(rg.node_groups) == 1:
            members = rg.node_groups[0]["node_group_members"]
            primary = members[0]
            domain = primary["read_endpoint"]["address"].split(".", 1)[1]
            for n in range(len(members) + 1, wanted + 1):
                member_id = f"{rg.replication_group_id}-{n:0>3}"
                members.append(
                    {
                        "cache_cluster_id": member_id,
                        "cache_node_id": primary["cache_node_id"],
                        "read_endpoint": {"address": f"{member_id}.{domain}", "port": rg.port},
                        "preferred_availability_zone": primary["preferred_availability_zone"],
                        "current_role": "replica",
                    }
                )
                rg.member_clusters.append(member_id)
        for member in rg.node_groups[0]["node_group_members"] if rg.node_groups else []:
            given = {name: None for name in cluster_args}
            given.update(
                account_id=self.account_id,
                region_name=self.region_name,
                cache_cluster_id=member["cache_cluster_id"],
                cache_node_type=rg.cache_node_type,
                replication_group_id=rg.replication_group_id,
                preferred_availability_zone=member.get("preferred_availability_zone"),
                num_cache_nodes=1,
                engine=rg.engine,
                engine_version=rg.engine_version,
                cache_parameter_group_name=rg.cache_parameter_group_name,
                cache_subnet_group_name=rg.cache_subnet_group_name,
                transit_encryption_enabled=rg.transit_encryption_enabled,
                preferred_maintenance_window=getattr(rg, "preferred_maintenance_window", None),
                port=rg.port,
                auto_minor_version_upgrade=rg.auto_minor_version_upgrade,
                snapshot_retention_limit=getattr(rg, "snapshot_retention_limit", None),
                snapshot_window=getattr(rg, "snapshot_window", None),
                security_group_ids=rg.security_group_ids,
                log_delivery_configurations=[],
            )
            given = {k: v for k, v in given.items() if k in cluster_args}
            cluster = models.CacheCluster(**given)
            cluster.at_rest_encryption_enabled = rg.at_rest_encryption_enabled
            cluster.transit_encryption_mode = rg.transit_encryption_mode
            self.cache_clusters[member["cache_cluster_id"]] = cluster
        return rg

    models.ElastiCacheBackend.create_replication_group = create_replication_group


def ec2_root_volume_size_from_image() -> None:
    """AWS: a block device mapping for the image's root device that gives no volume size (and
    no snapshot) takes the size of the image's root snapshot (moto refuses the launch with
    MissingParameter size/snapshot). The images moto serves have 8 GiB roots."""
    from moto.ec2.models.instances import Instance

    original = Instance.add_block_device

    def add_block_device(self, size, device_path, snapshot_id, *args, **kwargs):
        if size is None and snapshot_id is None:
            size = 8
        return original(self, size, device_path, snapshot_id, *args, **kwargs)

    Instance.add_block_device = add_block_device


def elasticache_subnet_group_deletion() -> None:
    """AWS: DeleteCacheSubnetGroup deletes a subnet group that no cache uses (moto does not
    implement it), and refuses one that a cache still uses (CacheSubnetGroupInUse)."""
    from moto.core.exceptions import ServiceException
    from moto.core.responses import EmptyResult
    from moto.elasticache import responses
    from moto.elasticache.exceptions import CacheSubnetGroupNotFound

    def delete_cache_subnet_group(self):
        backend = self.elasticache_backend
        name = self._get_param("CacheSubnetGroupName")
        if name not in backend.cache_subnet_groups:
            raise CacheSubnetGroupNotFound(name)
        users = [
            rg.replication_group_id
            for rg in backend.replication_groups.values()
            if rg.cache_subnet_group_name == name and rg.status != "deleting"
        ] + [
            c.cache_cluster_id
            for c in backend.cache_clusters.values()
            if c.cache_subnet_group_name == name and c.cache_cluster_status != "deleting"
        ]
        if users:
            raise ServiceException(
                "CacheSubnetGroupInUse", f"Cache subnet group {name} is currently in use."
            )
        backend.cache_subnet_groups.pop(name)
        return EmptyResult()

    responses.ElastiCacheResponse.delete_cache_subnet_group = delete_cache_subnet_group


def route53_private_zone_from_vpc() -> None:
    """AWS: CreateHostedZone with a VPC creates a private hosted zone associated with that VPC,
    whether or not HostedZoneConfig says PrivateZone (moto makes a public zone unless it does,
    and drops the VPC)."""
    from moto.route53 import responses

    cls = responses.Route53
    create = cls.create_hosted_zone
    get_bool = cls._get_bool_param

    def create_hosted_zone(self):
        if not self._get_param("VPC.VPCId"):
            return create(self)

        def private(param, default=None):
            if param == "HostedZoneConfig.PrivateZone":
                return True
            return get_bool(self, param, default)

        self._get_bool_param = private
        try:
            return create(self)
        finally:
            del self._get_bool_param

    cls.create_hosted_zone = create_hosted_zone


def elasticache_memcached_endpoints() -> None:
    """AWS: a Memcached cluster answers DescribeCacheClusters with its configuration endpoint
    (`<id>.<suffix>.cfg.<region>.cache.amazonaws.com`) and, with ShowCacheNodeInfo, one node
    with an endpoint per cache node (moto answers neither, so the cluster has no address); a
    cross-AZ cluster's zone reads "Multiple"."""
    from moto.elasticache import models

    def configuration_endpoint(self):
        if self.engine != "memcached":
            return None
        region = self.arn.split(":")[3]
        return {
            "Address": f"{self.cache_cluster_id}.emu0.cfg.{region}.cache.amazonaws.com",
            "Port": self.port,
        }

    def cache_nodes(self):
        region = self.arn.split(":")[3]
        count = self.num_cache_nodes if self.engine == "memcached" else 1
        return [
            {
                "CacheNodeId": f"{n:04d}",
                "CacheNodeStatus": "available",
                "CacheNodeCreateTime": self.cache_cluster_create_time,
                "Endpoint": {
                    "Address": f"{self.cache_cluster_id}.emu0.{n:04d}.{region}.cache.amazonaws.com",
                    "Port": self.port,
                },
                "ParameterGroupStatus": "in-sync",
                "CustomerAvailabilityZone": (
                    self.preferred_availability_zone
                    if self.preferred_availability_zone not in (None, "Multiple")
                    else f"{region}a"
                ),
            }
            for n in range(1, (count or 1) + 1)
        ]

    models.CacheCluster.configuration_endpoint = property(configuration_endpoint)
    models.CacheCluster.cache_nodes = property(cache_nodes)

    # AWS: a cluster created with AZMode cross-az reports its PreferredAvailabilityZone as
    # "Multiple" (there is no AZMode in the answer; clients derive it from that field).
    init = models.CacheCluster.__init__

    def __init__(self, *args, **kwargs):
        init(self, *args, **kwargs)
        if self.az_mode == "cross-az":
            self.preferred_availability_zone = "Multiple"

    models.CacheCluster.__init__ = __init__


def elasticache_cache_cluster_deletion() -> None:
    """AWS: a cache cluster that DeleteCacheCluster deletes is gone once the deletion completes
    (moto keeps it "deleting" for ever, so a destroy would wait until it times out). Here the
    deletion completes between two calls."""
    from moto.elasticache import models
    from moto.elasticache.exceptions import CacheClusterNotFound

    describe = models.ElastiCacheBackend.describe_cache_clusters

    def describe_cache_clusters(self, cache_cluster_id=None):
        found = describe(self, cache_cluster_id)
        gone = [c for c in found if c.cache_cluster_status == "deleting"]
        for c in gone:
            self.cache_clusters.pop(c.cache_cluster_id, None)
        if cache_cluster_id and gone:
            raise CacheClusterNotFound(cache_cluster_id)
        return [c for c in found if c.cache_cluster_status != "deleting"]

    models.ElastiCacheBackend.describe_cache_clusters = describe_cache_clusters


def efs_backup_policy() -> None:
    """AWS: PutBackupPolicy turns automatic backups of a file system on or off, and
    DescribeBackupPolicy answers the status, DISABLED for a file system created without
    backups (moto implements no PutBackupPolicy and answers PolicyNotFound); and
    DeleteFileSystemPolicy (below)."""
    import json

    from moto.efs import responses
    from moto.efs.exceptions import FileSystemNotFound

    cls = responses.EFSResponse
    statuses: dict = {}  # file system ID -> status

    def status_of(self, fs_id):
        if fs_id not in self.efs_backend.file_systems_by_id:
            raise FileSystemNotFound(fs_id)
        held = self.efs_backend.file_systems_by_id[fs_id]
        return statuses.get(fs_id, "ENABLED" if held.backup_policy else "DISABLED")

    def put_backup_policy(self):
        fs_id = self._get_param("FileSystemId")
        status_of(self, fs_id)
        statuses[fs_id] = (self._get_param("BackupPolicy") or {}).get("Status", "DISABLED")
        return json.dumps({"BackupPolicy": {"Status": statuses[fs_id]}}), {
            "Content-Type": "application/json"
        }

    def describe_backup_policy(self):
        status = status_of(self, self._get_param("FileSystemId"))
        return json.dumps({"BackupPolicy": {"Status": status}}), {
            "Content-Type": "application/json"
        }

    cls.put_backup_policy = put_backup_policy
    cls.describe_backup_policy = describe_backup_policy

    def delete_file_system_policy(self):
        """AWS: DeleteFileSystemPolicy removes a file system's resource policy (moto does not
        implement it)."""
        fs_id = self._get_param("FileSystemId")
        status_of(self, fs_id)
        self.efs_backend.file_systems_by_id[fs_id].file_system_policy = None
        return json.dumps({}), {"status": 200, "Content-Type": "application/json"}

    cls.delete_file_system_policy = delete_file_system_policy


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
    elasticache_parameter_groups()
    elasticache_replication_group_members()
    elasticache_replication_group_deletion()
    elasticache_subnet_group_deletion()
    elasticache_memcached_endpoints()
    elasticache_cache_cluster_deletion()
    efs_backup_policy()
    ec2_root_volume_size_from_image()
    route53_private_zone_from_vpc()
