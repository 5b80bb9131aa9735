//! Any bytes, decoded lossily as the collector does, through every artifact parser.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    fptriage::parse::parse_everything(&String::from_utf8_lossy(data));
});
