fn main() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a tuning parameter of glibc's allocator, before any thread.
    unsafe {
        libc::mallopt(libc::M_TOP_PAD, 16 << 20);
    }
    std::process::exit(tfblueprint::run(std::env::args_os()));
}
