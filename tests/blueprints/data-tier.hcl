# Issue 4's second scenario: Aurora PostgreSQL, Memcached, an EFS with a mount target in each of
# three AZs and two access points mounted into one task, private and public records, a bastion.

app "data-tier" {
  description = "Aurora PostgreSQL, Memcached and EFS with private DNS and a bastion"
  region      = "ap-southeast-2"

  network {
    cidr         = "10.84.0.0/16"
    azs          = ["ap-southeast-2a", "ap-southeast-2b", "ap-southeast-2c"]
    nat          = "single"
    data_subnets = true
    endpoints    = ["s3"]
  }

  cluster {
    capacity = "fargate"
  }

  load_balancer "public" {
    # Placeholder: an ACM certificate for *.example.net in ap-southeast-2.
    certificate   = "arn:aws:acm:ap-southeast-2:111111111111:certificate/00000000-0000-0000-0000-000000000000"
    redirect_http = true

    listener "https" {
      port     = 443
      protocol = "HTTPS"
      default  = "service.web"
    }
  }

  service "web" {
    image         = "public.ecr.aws/docker/library/nextcloud:29-apache"
    port          = 80
    cpu           = 1024
    memory        = 2048
    desired_count = 2
    health_check  = "/status.php"
    uses          = ["database.main", "cache.objects", "file_system.files"]

    route {
      load_balancer = "public"
      listener      = "https"
      hosts         = ["www.example.net", "admin.example.net"]
    }

    # Two access points of one file system, mounted into the same task.
    mount {
      file_system  = "files"
      access_point = "data"
      path         = "/var/www/html/data"
    }

    mount {
      file_system  = "files"
      access_point = "config"
      path         = "/var/www/html/config"
    }
  }

  service "api" {
    image         = "public.ecr.aws/docker/library/httpd:2.4"
    port          = 80
    cpu           = 256
    memory        = 512
    desired_count = 2
    health_check  = "/"
    uses          = ["database.main", "cache.objects"]

    route {
      load_balancer = "public"
      listener      = "https"
      hosts         = ["api.example.net"]
    }
  }

  database "main" {
    engine                = "aurora-postgresql"
    version               = "16.4"
    instances             = 2
    instance_class        = "db.r6g.large"
    database_name         = "app"
    backup_retention_days = 7
    deletion_protection   = true
  }

  cache "objects" {
    engine    = "memcached"
    version   = "1.6.22"
    node_type = "cache.t4g.medium"
    nodes     = 2
  }

  file_system "files" {
    throughput_mode = "elastic"

    # www-data in the Debian-based image is uid/gid 33.
    access_point "data" {
      path        = "/data"
      uid         = 33
      gid         = 33
      permissions = "0770"
    }

    access_point "config" {
      path        = "/config"
      uid         = 33
      gid         = 33
      permissions = "0750"
    }
  }

  dns {
    zone_id = "Z0123456789ABCDEFGHIJ" # placeholder: the public hosted zone of example.net
    record "www.example.net" {
      target = "load_balancer.public"
    }
    record "admin.example.net" {
      target = "load_balancer.public"
    }
    record "api.example.net" {
      target = "load_balancer.public"
    }
    private_zone = "data-tier.internal"
    private_record "db" {
      target = "database.main"
    }
    private_record "cache" {
      target = "cache.objects"
    }
    private_record "fs" {
      target = "file_system.files"
    }
  }

  bastion {
    instance_type = "t3.micro"
    ssh_cidrs     = []
  }

  environment "dev" {
    account_id = "111111111111" # placeholder
    database "main" {
      instances             = 1
      instance_class        = "db.t4g.medium"
      backup_retention_days = 1
      deletion_protection   = false
    }
    cache "objects" {
      node_type = "cache.t4g.micro"
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
      certificate = "arn:aws:acm:ap-southeast-2:222222222222:certificate/11111111-1111-1111-1111-111111111111"
    }
    dns {
      zone_id = "Z9876543210JIHGFEDCBA" # placeholder: the prod account's public zone
    }
    database "main" {
      instances = 3
    }
    bastion {
      instance_type = "t3.small"
    }
  }
}
