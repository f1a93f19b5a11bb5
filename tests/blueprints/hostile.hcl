# Issue 7's hostile-strings blueprint: every value below is a literal HCL string that must reach
# the Terraform values exactly (quotes, backslashes, escapes, $${ and %%{, non-ASCII, HCL-shaped text).

app "hostile" {
  description = "Hostile \"quotes\", back\\slashes, a\nnewline, $${not.interpolated} and %%{ not_a_directive } – Zürich 東京 🚀"
  region      = "eu-west-1"
  # Tags take only what AWS takes in tags (letters, digits, spaces and _ . : / = + - @, in any
  # script): the HCL-hostile strings are container environment values below.
  tags = {
    unicode       = "Zürich 東京 Ελληνικά مرحبا \u00e9"
    "Cost Center" = "R+D = ops/infra: 50"
    "owner:email" = "ops+infra@example.com"
    separators    = "a\u00a0b\u2028c\u3000d"
  }

  network {
    cidr = "10.99.0.0/16"
    azs  = ["eu-west-1a", "eu-west-1b"]
    nat  = "single"
  }

  cluster {
    capacity = "fargate"
  }

  service "echo" {
    image         = "public.ecr.aws/docker/library/busybox:1.36"
    cpu           = 256
    memory        = 512
    desired_count = 1
    command       = ["sh", "-c", "echo \"$${GREETING:-hello}\" && printf '%s\\n' \"%%{x}\" > /tmp/out\ncat /tmp/out # }\n"]
    environment = {
      QUOTES       = "a \"quoted\" 'value' and a lone \""
      BACKSLASHES  = "\\n is not a newline, \\\\ is two backslashes, ends with \\"
      NEWLINES     = "first\nsecond\r\nthird\ttabbed"
      TEMPLATES    = "$${HOME} and $${var.x} and %%{if true}yes%%{endif}"
      NEAR_MISSES  = "$ {not} % {not} $$ and %% alone, cost $5, 100% sure"
      JSON         = "{\"key\": [1, 2, {\"nested\": \"}\"}]}"
      HCL_BLOCK    = "}\n}\nresource \"null_resource\" \"x\" {}\nmodule \"m\" {\n  source = \"./evil\"\n}\n"
      UNICODE      = "naïve café – ß – 你好 – שלום – 🚀"
      TRIPLE       = "$$${x} and %%%{y}"
      EMPTY        = ""
      ONLY_ESCAPES = "\\\"\\"
      TAG_QUOTE    = "she said \"hi\" and 'bye'"
      TAG_BACKSLASH = "C:\\Program Files\\App\\"
      TAG_NEWLINE  = "line one\nline two\r\nline three\ttabbed"
      TAG_DOLLAR   = "$${aws_iam_user.pwned.arn}"
      TAG_PERCENT  = "%%{ for x in [1, 2] }$${x}%%{ endfor }"
      TAG_HCL      = "\"\n}\nresource \"aws_iam_user\" \"pwned\" {\n  name = \"pwned\"\n}\nlocals {\n  x = \""
      TAG_COMMENT  = "# not a comment */ /* // also not <!-- nor this -->"
      TAG_HEREDOC  = "<<EOT\ninjected\nEOT"
      TAG_MARKUP   = "R&D <ops> 'x' = y"
    }
    secrets = {
      API_TOKEN = "ssm:/hostile/api-token"
    }
  }

  environment "dev" {
    account_id = "111111111111" # placeholder
    tags = {
      note = "dev env: terraform.workspace = x/y @ 東京"
    }
  }
}
