# MageCloudKit for Magento 2 (seed 003): ECS on EC2 across three AZs with public, private and data
# subnets; one task of nginx + php-fpm (+ blackfire) on the App Cluster and the Admin Panel on a
# cluster of its own; a Jenkins server; Aurora MySQL, two Redis groups, EFS media.

app "magento" {
  description = "Magento 2 on MageCloudKit: ECS on EC2, Aurora MySQL, Redis and EFS"
  region      = "us-east-1"
  tags = {
    project = "magento"
    team    = "ecommerce"
  }

  network {
    cidr         = "10.30.0.0/16"
    azs          = ["us-east-1a", "us-east-1b", "us-east-1c"]
    nat          = "per_az"
    data_subnets = true
    endpoints    = ["s3"]
  }

  # The App Cluster: ECS-optimized Amazon Linux instances in the private subnets.
  cluster "app" {
    capacity           = "ec2"
    container_insights = true
    instance_type      = "m6i.xlarge"
    min_size           = 3
    max_size           = 9
    network_mode       = "awsvpc"
  }

  # The Magento Admin Panel runs on a separate, smaller group of App Servers.
  cluster "admin" {
    capacity      = "ec2"
    instance_type = "t3.large"
    min_size      = 1
    max_size      = 2
  }

  load_balancer "public" {
    # Placeholder: an ACM certificate for shop.example.com in us-east-1 of the dev account.
    certificate   = "arn:aws:acm:us-east-1:111111111111:certificate/00000000-0000-0000-0000-000000000000"
    redirect_http = true

    listener "https" {
      port     = 443
      protocol = "HTTPS"
      default  = "service.magento"
    }
  }

  # The default App: nginx serves static assets and proxies PHP to php-fpm on localhost:9000.
  service "magento" {
    cluster       = "app"
    cpu           = 2048
    memory        = 4096
    desired_count = 3
    health_check  = "/health_check.php"
    uses          = ["database.main", "cache.cache", "cache.session", "file_system.media"]

    container "nginx" {
      image = "nginx:1.27-alpine"
      port  = 80
      environment = {
        FPM_HOST = "127.0.0.1"
        FPM_PORT = "9000"
      }
    }

    # The Magento code is built into this image by CI and pushed to its ECR repository.
    container "php-fpm" {
      repository = true
      environment = {
        MAGE_MODE        = "production"
        PHP_MEMORY_LIMIT = "2G"
      }
    }

    container "blackfire" {
      image     = "blackfire/blackfire:2"
      essential = false
      secrets = {
        BLACKFIRE_SERVER_ID    = "ssm:/magento/blackfire/server-id"
        BLACKFIRE_SERVER_TOKEN = "ssm:/magento/blackfire/server-token"
      }
    }

    route {
      load_balancer = "public"
      listener      = "https"
      hosts         = ["shop.example.com"]
    }

    mount {
      file_system  = "media"
      access_point = "media"
      path         = "/var/www/html/pub/media"
    }

    autoscaling {
      min = 3
      max = 12
      cpu = 70
    }
  }

  # The Admin Panel: the same nginx + php-fpm task, on the admin cluster, at its own host name.
  service "admin" {
    cluster       = "admin"
    cpu           = 1024
    memory        = 2048
    desired_count = 1
    health_check  = "/health_check.php"
    uses          = ["database.main", "cache.cache", "cache.session", "file_system.media"]

    container "nginx" {
      image = "nginx:1.27-alpine"
      port  = 80
      environment = {
        FPM_HOST = "127.0.0.1"
        FPM_PORT = "9000"
      }
    }

    container "php-fpm" {
      repository = true
      environment = {
        MAGE_MODE        = "production"
        PHP_MEMORY_LIMIT = "2G"
      }
    }

    route {
      load_balancer = "public"
      listener      = "https"
      hosts         = ["admin.shop.example.com"]
    }

    mount {
      file_system  = "media"
      access_point = "media"
      path         = "/var/www/html/pub/media"
    }
  }

  database "main" {
    engine                = "aurora-mysql"
    version               = "8.0.mysql_aurora.3.08.0"
    instances             = 2
    instance_class        = "db.r6g.large"
    database_name         = "magento"
    backup_retention_days = 14
    deletion_protection   = true
  }

  # Magento's cache backend. MageCloudKit offers Memcached as an option: engine = "memcached",
  # version = "1.6.22" (docs/blueprint.md, cache).
  cache "cache" {
    engine    = "redis"
    version   = "7.1"
    node_type = "cache.r7g.large"
    nodes     = 2
  }

  # PHP sessions.
  cache "session" {
    engine    = "redis"
    version   = "7.1"
    node_type = "cache.r7g.large"
    nodes     = 2
  }

  file_system "media" {
    throughput_mode = "elastic"

    # php-fpm writes media as www-data (uid/gid 82 in Alpine-based PHP images); nginx reads it.
    access_point "media" {
      path        = "/media"
      uid         = 82
      gid         = 82
      permissions = "0775"
    }
  }

  # Service discovery through a private zone, as MageCloudKit does.
  dns {
    private_zone = "magecloudkit.internal"
    private_record "db" {
      target = "database.main"
    }
    private_record "media.efs" {
      target = "file_system.media"
    }
    private_record "redis-cache" {
      target = "cache.cache"
    }
    private_record "redis-session" {
      target = "cache.session"
    }
    private_record "jenkins" {
      target = "server.jenkins"
    }
  }

  # The Jenkins server role: builds the php-fpm image and deploys it. JENKINS_HOME lives on the
  # encrypted root volume; an instance refresh (a new image or instance type) starts it afresh.
  server "jenkins" {
    instance_type = "t3.large"
    image         = "ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
    subnets       = "private"
    volume_size   = 100
    port          = 8080
    health_check  = "/login"
    user_data     = "#!/bin/bash\ndnf install -y java-17-amazon-corretto-headless git docker\ncurl -fsSLo /etc/yum.repos.d/jenkins.repo https://pkg.jenkins.io/redhat-stable/jenkins.repo\nrpm --import https://pkg.jenkins.io/redhat-stable/jenkins.io-2023.key\ndnf install -y jenkins\nsystemctl enable --now docker jenkins\n"

    route {
      load_balancer = "public"
      listener      = "https"
      hosts         = ["ci.shop.example.com"]
    }
  }

  bastion {
    instance_type = "t3.micro"
    ssh_cidrs     = ["203.0.113.0/24"] # placeholder: the office's egress range
  }

  environment "dev" {
    account_id = "111111111111" # placeholder
    network {
      nat = "single"
    }
    cluster "app" {
      instance_type = "t3.xlarge"
      min_size      = 1
      max_size      = 3
    }
    cluster "admin" {
      instance_type = "t3.medium"
    }
    service "magento" {
      desired_count = 1
      autoscaling {
        min = 1
        max = 2
        cpu = 70
      }
    }
    database "main" {
      instances             = 1
      instance_class        = "db.t4g.medium"
      backup_retention_days = 1
      deletion_protection   = false
    }
    cache "cache" {
      node_type = "cache.t4g.small"
      nodes     = 1
    }
    cache "session" {
      node_type = "cache.t4g.small"
      nodes     = 1
    }
  }

  environment "prod" {
    account_id = "222222222222" # placeholder
    network {
      nat = "per_az"
    }
    load_balancer "public" {
      # Placeholder: the prod account's certificate.
      certificate = "arn:aws:acm:us-east-1:222222222222:certificate/11111111-1111-1111-1111-111111111111"
    }
    bastion {
      ssh_cidrs = ["198.51.100.0/24"] # placeholder: the operations team's VPN range
    }
    database "main" {
      instances = 3
    }
  }
}
