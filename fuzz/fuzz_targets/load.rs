//! Any input to the blueprint loader: it returns diagnostics or a blueprint, never panics; a
//! blueprint it accepts builds a model and renders (every `.tf` file passes the self-check).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;
use tfblueprint::render::Renderer;

static RENDERER: LazyLock<Renderer> = LazyLock::new(Renderer::new);

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(bp) = tfblueprint::blueprint::load_str(src, "fuzz.hcl") {
        let model = tfblueprint::model::build(&bp);
        if let Err(e) = tfblueprint::generate::render_model(&RENDERER, &model) {
            panic!("an accepted blueprint does not render: {e:#}");
        }
    }
});
