//! Fuzz target `sandbox_rest`: one request in the Catalog's REST-JSON routes: a method, path, query and JSON body
//! (framing in `amipub_fuzz::request`), answered against a fresh `fedora` world through the
//! sandbox's own router, `amipub_sandbox::server::answer`, so the real decoders and handlers run.
#![no_main]

use amipub_fuzz::request;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(r) = request::rest(data) {
        let _ = request::answer(&r);
    }
});
