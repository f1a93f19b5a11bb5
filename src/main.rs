fn main() {
    std::process::exit(tfblueprint::run(std::env::args_os()));
}
