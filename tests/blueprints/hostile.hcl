# Issue 7's hostile-strings blueprint: every value below is a literal HCL string that must reach
# the Terraform values exactly (quotes, backslashes, escapes, $${ and %%{, non-ASCII, HCL-shaped text).

app "hostile" {
  description = "Hostile \"quotes\", back\\slashes, a\nnewline, $${not.interpolated} and %%{ not_a_directive } – Zürich 東京 🚀"
  region      = "eu-west-1"
  tags = {
    quote          = "she said \"hi\" and 'bye'"
    backslash      = "C:\\Program Files\\App\\"
    newline        = "line one\nline two\r\nline three\ttabbed"
    dollar         = "$${aws_iam_user.pwned.arn}"
    percent        = "%%{ for x in [1, 2] }$${x}%%{ endfor }"
    unicode        = "Zürich – 東京 – Ελληνικά – مرحبا – 🚀 – \u00e9 – \U0001F600"
    hcl_shaped     = "\"\n}\nresource \"aws_iam_user\" \"pwned\" {\n  name = \"pwned\"\n}\nlocals {\n  x = \""
    comment_shaped = "# not a comment */ /* // also not <!-- nor this -->"
    heredoc_shaped = "<<EOT\ninjected\nEOT"
    "Cost Center"  = "R&D <ops> 'x' = y"
    "owner:email"  = "ops+infra@example.com"
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
    }
    secrets = {
      API_TOKEN = "ssm:/hostile/api-token"
    }
  }

  environment "dev" {
    account_id = "111111111111" # placeholder
    tags = {
      note = "dev \"env\"\n$${terraform.workspace} %%{ if true }x%%{ endif }"
    }
  }
}
