//! The blueprint as typed data: what a user wrote, with defaults filled in and the positions
//! that later checks report at. Environments hold a whole resolved copy of the app.

use crate::diag::Pos;
use std::collections::BTreeMap;

/// A validated blueprint: the app as written and one resolved copy per environment.
#[derive(Debug, Clone)]
pub struct Blueprint {
    /// File name as shown in headers and messages (`websight.hcl`).
    pub source: String,
    pub app: App,
    pub environments: Vec<Environment>,
}

#[derive(Debug, Clone)]
pub struct Environment {
    pub name: String,
    pub pos: Pos,
    pub account_id: Option<String>,
    /// Whether this is the first environment (in blueprint order) of its account (the same
    /// `account_id`, or none): it creates the resources the account's environments share.
    pub first_in_account: bool,
    /// The app with this environment's overrides applied.
    pub app: App,
}

#[derive(Debug, Clone, Default)]
pub struct App {
    pub name: String,
    pub pos: Pos,
    pub description: Option<String>,
    pub region: String,
    pub region_pos: Pos,
    pub tags: BTreeMap<String, String>,
    /// Where each tag key is written (for an environment's copy, its own keys' positions).
    pub tag_pos: BTreeMap<String, Pos>,
    pub network: Network,
    /// The first of `clusters`: the only one of most apps.
    pub cluster: Cluster,
    /// Every ECS cluster (`cluster` blocks), in blueprint order; at least one.
    pub clusters: Vec<Cluster>,
    pub load_balancers: Vec<LoadBalancer>,
    pub services: Vec<Service>,
    pub allows: Vec<Allow>,
    pub databases: Vec<Database>,
    pub caches: Vec<Cache>,
    pub file_systems: Vec<FileSystem>,
    pub dns: Option<Dns>,
    pub bastion: Option<Bastion>,
    /// Plain EC2 instances in self-healing groups of one (`server "<name>"`).
    pub servers: Vec<Server>,
    /// Customer-managed KMS key for encryption at rest (`kms_key = true`).
    pub kms_key: bool,
    /// Where each environment keeps its Terraform state (`state { ... }`); `None` leaves the
    /// roots without a backend block (local state, or the user's own backend file).
    pub state: Option<State>,
    /// The IAM role the provider assumes (`role_arn`), with its position.
    pub role_arn: Option<(String, Pos)>,
    /// A template overlay folder (`templates = "path"`, relative to the blueprint file), with
    /// its position.
    pub templates: Option<(String, Pos)>,
    /// Days CloudWatch Logs keeps the app's logs (`log_retention`, default 365), with its
    /// position when written.
    pub log_retention: Option<(u32, Pos)>,
    /// Settings some environment gives a value of its own where the shared modules otherwise
    /// hold the app's as a literal (set on the app, once its environments are read).
    pub per_env: PerEnv,
}

/// Which module literals become per-environment values because an environment overrides them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PerEnv {
    /// Some environment keeps a service's logs for another period than the app does.
    pub service_log_retention: bool,
    /// Some environment runs a server on another image.
    pub server_image: bool,
}

/// Remote state in S3: the bucket and its region. The key is always
/// `<app>/<env>/terraform.tfstate`.
#[derive(Debug, Clone, Default)]
pub struct State {
    pub pos: Pos,
    pub bucket: String,
    pub bucket_pos: Pos,
    pub region: String,
    pub region_pos: Pos,
}

#[derive(Debug, Clone, Default)]
pub struct Network {
    pub pos: Pos,
    pub cidr: String,
    pub cidr_pos: Pos,
    pub azs: Vec<String>,
    pub azs_pos: Pos,
    /// Position of each zone in `azs`.
    pub az_pos: Vec<Pos>,
    pub nat: String,
    pub data_subnets: bool,
    pub endpoints: Vec<String>,
    pub endpoints_pos: Pos,
    pub flow_logs: bool,
    /// `existing { ... }`: a VPC and subnets made elsewhere; nothing of the network is created.
    pub existing: Option<ExistingNetwork>,
}

/// A VPC and subnets the app is deployed into (`network { existing { ... } }`), given by ID.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExistingNetwork {
    pub pos: Pos,
    pub vpc_id: String,
    pub vpc_id_pos: Pos,
    pub vpc_cidr: String,
    pub vpc_cidr_pos: Pos,
    /// AZ -> subnet ID, per tier; `data` is empty when the data stores use the private ones.
    pub public_subnets: BTreeMap<String, String>,
    pub public_pos: Pos,
    pub private_subnets: BTreeMap<String, String>,
    pub private_pos: Pos,
    pub data_subnets: BTreeMap<String, String>,
    pub data_pos: Pos,
    /// Where each subnet ID is written, by ID.
    pub subnet_pos: BTreeMap<String, Pos>,
}

#[derive(Debug, Clone, Default)]
pub struct Cluster {
    /// `main` for the unlabeled `cluster` block (and for the default cluster).
    pub name: String,
    pub pos: Pos,
    pub capacity: String,
    pub capacity_pos: Pos,
    pub container_insights: bool,
    pub instance_type: String,
    pub min_size: u32,
    pub max_size: u32,
    pub network_mode: String,
    pub network_mode_pos: Pos,
}

#[derive(Debug, Clone, Default)]
pub struct LoadBalancer {
    pub name: String,
    pub pos: Pos,
    pub internal: bool,
    pub ingress_cidrs: Vec<String>,
    pub ingress_cidrs_pos: Pos,
    pub certificate: Option<String>,
    pub certificate_pos: Pos,
    pub redirect_http: bool,
    pub deletion_protection: bool,
    pub listeners: Vec<Listener>,
    /// `access_logs { bucket prefix }`: where the load balancer writes its access logs.
    pub access_logs: Option<AccessLogs>,
}

#[derive(Debug, Clone, Default)]
pub struct AccessLogs {
    pub pos: Pos,
    pub bucket: String,
    pub prefix: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Listener {
    pub name: String,
    pub pos: Pos,
    pub port: u16,
    pub port_pos: Pos,
    pub protocol: String,
    /// `service.<name>` forwarded to by default; a fixed 404 without it.
    pub default: Option<Ref>,
}

/// A reference to another part, `"<kind>.<name>"`, with its position.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ref {
    pub kind: String,
    pub name: String,
    pub pos: Pos,
}

impl Ref {
    pub fn key(&self) -> String {
        if self.name.is_empty() {
            self.kind.clone()
        } else {
            format!("{}.{}", self.kind, self.name)
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Service {
    pub name: String,
    pub pos: Pos,
    pub cpu: u32,
    pub cpu_pos: Pos,
    pub memory: u32,
    pub desired_count: u32,
    pub health_check: HealthCheck,
    pub uses: Vec<Ref>,
    pub discovery: bool,
    pub exec: bool,
    pub routes: Vec<Route>,
    pub mounts: Vec<Mount>,
    pub autoscaling: Option<Autoscaling>,
    pub containers: Vec<Container>,
    /// True when the containers were written directly on the service.
    pub single_container: bool,
    /// `execution_role`: an existing task execution role (ARN) used instead of one of ours.
    pub execution_role: Option<(String, Pos)>,
    /// `task_role`: an existing task role (ARN) used instead of one of ours.
    pub task_role: Option<(String, Pos)>,
    /// Compute and operations settings of v1.1: the cluster it runs on, deployment
    /// percentages, log retention and egress beyond 443.
    pub ops: ServiceOps,
}

/// A service's cluster, deployment, log retention and egress settings.
#[derive(Debug, Clone, Default)]
pub struct ServiceOps {
    /// `cluster = "<name>"`, with its position; `None` runs on the only cluster.
    pub cluster: Option<(String, Pos)>,
    pub deployment: Option<Deployment>,
    /// Days CloudWatch Logs keeps the service's logs; `None` takes the app's default.
    pub log_retention: Option<(u32, Pos)>,
    pub egress: Vec<Egress>,
}

/// The load balancer's health check of a service's or server's targets: `health_check = "/path"`
/// or a `health_check { ... }` block.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HealthCheck {
    /// The HTTP path requested.
    pub path: String,
    /// The HTTP codes of a healthy answer: `"200"`, `"200,202"` or `"200-399"`.
    pub matcher: String,
    /// Seconds between checks.
    pub interval: u32,
    /// Seconds without an answer that fail a check.
    pub timeout: u32,
    /// Checks in a row that make an unhealthy target healthy.
    pub healthy_threshold: u32,
    /// Checks in a row that make a healthy target unhealthy.
    pub unhealthy_threshold: u32,
}

impl Default for HealthCheck {
    fn default() -> Self {
        HealthCheck {
            path: "/".into(),
            matcher: "200-399".into(),
            interval: 30,
            timeout: 5,
            healthy_threshold: 3,
            unhealthy_threshold: 3,
        }
    }
}

/// `deployment { min_healthy_percent max_percent grace_period }` of a service.
#[derive(Debug, Clone, Default)]
pub struct Deployment {
    pub pos: Pos,
    pub min_healthy_percent: u32,
    pub max_percent: u32,
    pub grace_period: Option<u32>,
    pub grace_period_pos: Pos,
}

/// `egress { ports cidrs description }`: outbound TCP to CIDR blocks beyond the default 443.
#[derive(Debug, Clone, Default)]
pub struct Egress {
    pub pos: Pos,
    pub from_port: u16,
    pub to_port: u16,
    pub cidrs: Vec<String>,
    pub cidrs_pos: Pos,
    pub description: Option<String>,
}

impl Egress {
    pub fn ports(&self) -> String {
        if self.from_port == self.to_port {
            self.from_port.to_string()
        } else {
            format!("{}-{}", self.from_port, self.to_port)
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Container {
    pub name: String,
    pub pos: Pos,
    pub image: Option<String>,
    pub repository: bool,
    /// `immutable_tags = true`: the ECR repository refuses to overwrite a tag, and every
    /// environment must set the service's `image_tag`.
    pub immutable_tags: bool,
    /// Position of `immutable_tags`.
    pub immutable_tags_pos: Pos,
    /// The image tag: the part after `:` of `image`, or the tag of the ECR image.
    pub image_tag: String,
    /// Whether the environment set this tag (`image_tag` in its `service` block).
    pub image_tag_from_env: bool,
    pub port: Option<u16>,
    pub command: Option<Vec<String>>,
    pub environment: BTreeMap<String, String>,
    pub secrets: BTreeMap<String, Secret>,
    pub essential: bool,
    pub read_only_root_filesystem: bool,
    /// Container-level operations of v1.1: health command, stop timeout, start order.
    pub ops: ContainerOps,
}

/// `health_command`, `stop_timeout` and `depends_on` of a container.
#[derive(Debug, Clone, Default)]
pub struct ContainerOps {
    pub health_command: Option<(Vec<String>, Pos)>,
    pub stop_timeout: Option<u32>,
    /// Whether `health_command` was written on the service (with `container` blocks) rather
    /// than in this container's block.
    pub health_from_service: bool,
    /// Where `stop_timeout` is written (on the container, or on its service as the default).
    pub stop_timeout_pos: Pos,
    /// `depends_on = { <container> = "START" | "COMPLETE" | "SUCCESS" | "HEALTHY" }`, with
    /// the position of each entry.
    pub depends_on: Vec<(String, String, Pos)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Secret {
    /// `ssm` or `secretsmanager`.
    pub store: String,
    /// Parameter name (with leading `/`), secret name, or ARN.
    pub name: String,
}

#[derive(Debug, Clone, Default)]
pub struct Route {
    pub pos: Pos,
    pub load_balancer: String,
    pub load_balancer_pos: Pos,
    pub listener: String,
    pub listener_pos: Pos,
    pub hosts: Vec<String>,
    pub hosts_pos: Vec<Pos>,
    pub paths: Vec<String>,
    pub paths_pos: Vec<Pos>,
    pub priority: Option<u32>,
}

#[derive(Debug, Clone, Default)]
pub struct Mount {
    pub pos: Pos,
    pub file_system: String,
    pub file_system_pos: Pos,
    pub access_point: Option<String>,
    pub access_point_pos: Pos,
    pub path: String,
    pub read_only: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Autoscaling {
    pub pos: Pos,
    pub min: u32,
    pub max: u32,
    pub cpu: Option<u32>,
    pub memory: Option<u32>,
    pub requests: Option<u32>,
}

#[derive(Debug, Clone, Default)]
pub struct Allow {
    pub pos: Pos,
    pub from: Ref,
    pub to: Ref,
    pub from_port: u16,
    pub to_port: u16,
    pub both_ways: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Database {
    pub name: String,
    pub pos: Pos,
    pub engine: String,
    pub version: String,
    pub instances: u32,
    pub instance_class: String,
    pub instance_class_pos: Pos,
    pub serverless: Option<Serverless>,
    pub database_name: String,
    pub backup_retention_days: u32,
    pub deletion_protection: bool,
    /// A database user the services that use this database connect as with IAM
    /// authentication (`rds-db:connect`); `None` leaves IAM database authentication off.
    pub iam_user: Option<String>,
    /// `tls`: `required` (the default: `require_secure_transport`) or `optional`.
    pub tls: String,
}

#[derive(Debug, Clone, Default)]
pub struct Serverless {
    pub pos: Pos,
    pub min_capacity: f64,
    pub max_capacity: f64,
}

#[derive(Debug, Clone, Default)]
pub struct Cache {
    pub name: String,
    pub pos: Pos,
    pub engine: String,
    pub version: String,
    pub node_type: String,
    pub nodes: u32,
    /// `iam`, `token` or `none`; by default a token for Redis OSS and Valkey.
    pub auth: Option<String>,
    /// Position of `auth`.
    pub auth_pos: Pos,
}

#[derive(Debug, Clone, Default)]
pub struct FileSystem {
    pub name: String,
    pub pos: Pos,
    pub throughput_mode: String,
    pub provisioned_mibps: Option<u32>,
    pub access_points: Vec<AccessPoint>,
}

#[derive(Debug, Clone, Default)]
pub struct AccessPoint {
    pub name: String,
    pub pos: Pos,
    pub path: String,
    pub uid: u32,
    pub gid: u32,
    pub permissions: String,
}

#[derive(Debug, Clone, Default)]
pub struct Dns {
    pub pos: Pos,
    pub zone_id: Option<String>,
    pub records: Vec<DnsRecord>,
    pub private_zone: Option<String>,
    pub private_records: Vec<DnsRecord>,
}

#[derive(Debug, Clone, Default)]
pub struct DnsRecord {
    /// The record's key as written in the blueprint label.
    pub key: String,
    /// The name the record gets (an environment may rename it).
    pub name: String,
    pub pos: Pos,
    pub target: Ref,
}

#[derive(Debug, Clone, Default)]
pub struct Bastion {
    pub pos: Pos,
    pub instance_type: String,
    pub ssh_cidrs: Vec<String>,
    pub ssh_cidrs_pos: Pos,
    pub uses: Vec<Ref>,
}

impl App {
    /// Whether the app has several clusters (and the ecs module keys its clusters by name).
    pub fn multi_cluster(&self) -> bool {
        self.clusters.len() > 1
    }
    /// The cluster a service runs on: the one it names, or the first.
    pub fn service_cluster(&self, s: &Service) -> &Cluster {
        s.ops
            .cluster
            .as_ref()
            .and_then(|(n, _)| self.clusters.iter().find(|c| &c.name == n))
            .unwrap_or(&self.cluster)
    }
    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.name == name)
    }
    pub fn load_balancer(&self, name: &str) -> Option<&LoadBalancer> {
        self.load_balancers.iter().find(|l| l.name == name)
    }
    pub fn database(&self, name: &str) -> Option<&Database> {
        self.databases.iter().find(|d| d.name == name)
    }
    pub fn cache(&self, name: &str) -> Option<&Cache> {
        self.caches.iter().find(|c| c.name == name)
    }
    pub fn file_system(&self, name: &str) -> Option<&FileSystem> {
        self.file_systems.iter().find(|f| f.name == name)
    }
}

impl Service {
    /// The container that receives load-balancer traffic: the one with a port.
    pub fn port_container(&self) -> Option<&Container> {
        self.containers.iter().find(|c| c.port.is_some())
    }
    pub fn port(&self) -> Option<u16> {
        self.port_container().and_then(|c| c.port)
    }
}

/// `server "<name>"`: one EC2 instance in an Auto Scaling group of one, reached with Session
/// Manager, optionally routed from a load balancer.
#[derive(Debug, Clone, Default)]
pub struct Server {
    pub name: String,
    pub pos: Pos,
    pub instance_type: String,
    /// `ssm:/aws/service/...` (a public SSM parameter EC2 resolves at launch) or `ami-...`.
    pub image: String,
    pub image_pos: Pos,
    /// `private` or `public`.
    pub subnets: String,
    /// GiB of the encrypted gp3 root volume.
    pub volume_size: u32,
    pub port: Option<u16>,
    pub port_pos: Pos,
    pub health_check: HealthCheck,
    pub user_data: Option<String>,
    pub uses: Vec<Ref>,
    pub routes: Vec<Route>,
    pub egress: Vec<Egress>,
}

impl App {
    pub fn server(&self, name: &str) -> Option<&Server> {
        self.servers.iter().find(|s| s.name == name)
    }
}
