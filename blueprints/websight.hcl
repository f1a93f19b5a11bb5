# WebSight CMS Community Edition on ECS Fargate (seed 000): nginx serves published sites to
# visitors on 443, the CMS serves authors on 8443, MongoDB holds content; all three share one EFS.

app "websight" {
  description = "WebSight CMS Community Edition on ECS Fargate"
  region      = "eu-central-1"
  tags = {
    project = "websight"
    team    = "cms"
  }

  network {
    cidr = "10.20.0.0/16"
    azs  = ["eu-central-1a", "eu-central-1b"]
    nat  = "single"
  }

  cluster {
    capacity           = "fargate"
    container_insights = true
  }

  load_balancer "public" {
    # Placeholder: an ACM certificate for www/cms.example.com in eu-central-1 of the dev account.
    certificate   = "arn:aws:acm:eu-central-1:111111111111:certificate/00000000-0000-0000-0000-000000000000"
    redirect_http = true

    # Site visitors: HTTPS 443 -> nginx:80.
    listener "visitors" {
      port     = 443
      protocol = "HTTPS"
      default  = "service.nginx"
    }

    # Authors: HTTPS 8443 -> cms:8080.
    listener "authors" {
      port     = 8443
      protocol = "HTTPS"
      default  = "service.cms"
    }
  }

  service "nginx" {
    image         = "public.ecr.aws/ds/websight-nginx-ce:luna-1.1.0"
    port          = 80
    cpu           = 256
    memory        = 512
    desired_count = 2
    health_check  = "/health"
    uses          = ["file_system.storage"]

    route {
      load_balancer = "public"
      listener      = "visitors"
      hosts         = ["www.example.com"]
    }

    # Published experiences, written by the CMS, served read-only.
    mount {
      file_system  = "storage"
      access_point = "published"
      path         = "/usr/share/nginx/html"
      read_only    = true
    }
  }

  service "cms" {
    image         = "public.ecr.aws/ds/websight-cms-ce:luna-1.1.0"
    port          = 8080
    cpu           = 1024
    memory        = 4096
    desired_count = 1
    health_check  = "/system/health"
    environment = {
      WS_ADMIN_USERNAME = "wsadmin"
      MONGODB_HOST      = "mongo.websight.local"
      MONGODB_PORT      = "27017"
      MONGODB_USERNAME  = "mongoadmin"
    }
    secrets = {
      WS_ADMIN_PASSWORD = "ssm:/websight/admin-password"
      MONGODB_PASSWORD  = "ssm:/websight/mongo-password"
    }
    uses = ["file_system.storage"]

    route {
      load_balancer = "public"
      listener      = "authors"
      hosts         = ["cms.example.com"]
    }

    mount {
      file_system  = "storage"
      access_point = "published"
      path         = "/websight/docroot"
    }

    mount {
      file_system  = "storage"
      access_point = "logs"
      path         = "/websight/logs"
    }
  }

  # MongoDB has no route: only the CMS reaches it, by its Cloud Map name mongo.websight.local.
  service "mongo" {
    image         = "mongo:7.0"
    port          = 27017
    cpu           = 1024
    memory        = 4096
    desired_count = 1
    discovery     = true
    environment = {
      MONGO_INITDB_ROOT_USERNAME = "mongoadmin"
    }
    secrets = {
      MONGO_INITDB_ROOT_PASSWORD = "ssm:/websight/mongo-password"
    }
    uses = ["file_system.storage"]
    # mongod refuses to start on a data directory another mongod holds: a deployment stops the
    # old task before it starts the new one, and the new one is healthy once mongod answers.
    health_command = ["CMD-SHELL", "mongosh --quiet --eval 'db.adminCommand(\"ping\").ok' || exit 1"]
    stop_timeout   = 60

    deployment {
      min_healthy_percent = 0
      max_percent         = 100
    }

    mount {
      file_system  = "storage"
      access_point = "content"
      path         = "/data/db"
    }
  }

  allow {
    from  = "service.cms"
    to    = "service.mongo"
    ports = "27017"
  }

  file_system "storage" {
    throughput_mode = "elastic"

    # Published experiences (site_repository): written by cms, read by nginx (uid 101).
    access_point "published" {
      path        = "/published"
      uid         = 1000
      gid         = 1000
      permissions = "0755"
    }

    # Content repository (mongo_repository): MongoDB's data directory; mongo runs as 999.
    access_point "content" {
      path        = "/content"
      uid         = 999
      gid         = 999
      permissions = "0700"
    }

    # CMS logs (cms_logs).
    access_point "logs" {
      path        = "/logs"
      uid         = 1000
      gid         = 1000
      permissions = "0750"
    }
  }

  dns {
    zone_id = "Z0123456789ABCDEFGHIJ" # placeholder: the dev account's public hosted zone
    record "www.example.com" {
      target = "load_balancer.public"
    }
    record "cms.example.com" {
      target = "load_balancer.public"
    }
  }

  environment "dev" {
    account_id = "111111111111" # placeholder
    network {
      nat = "single"
    }
    service "nginx" {
      desired_count = 1
    }
    service "cms" {
      cpu    = 512
      memory = 2048
    }
    service "mongo" {
      cpu    = 512
      memory = 2048
    }
  }

  environment "prod" {
    account_id = "222222222222" # placeholder
    network {
      nat = "per_az"
    }
    load_balancer "public" {
      # Placeholder: the prod account's certificate.
      certificate = "arn:aws:acm:eu-central-1:222222222222:certificate/11111111-1111-1111-1111-111111111111"
    }
    dns {
      zone_id = "Z9876543210JIHGFEDCBA" # placeholder: the prod account's public zone
    }
    service "nginx" {
      desired_count = 3
    }
    service "cms" {
      cpu    = 2048
      memory = 8192
    }
  }
}
