//! Any bytes, decoded lossily as the collector does, through every artifact parser.
#![no_main]

use fptriage::parse::{
    cloud_settings, connector_context, connector_log, connector_properties, curl_test, ident,
    json_find, licensing, lsof, netstat, numbered_lines, pmtool, syslog, version,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let t = text.as_ref();
    let _ = connector_properties::parse(t);
    let _ = pmtool::parse(t);
    let _ = netstat::parse(t);
    let _ = lsof::parse(t);
    let _ = lsof::split_host_port(t);
    let _ = version::parse_sf_version(t);
    let _ = version::parse_show_version(t);
    let _ = ident::parse_hostname(t);
    let _ = ident::parse_ims_conf(t);
    let _ = json_find::objects_with_key(t, "status");
    let _ = json_find::values_of_key(t, "regionCode");
    let _ = licensing::parse(t);
    let _ = cloud_settings::parse(t);
    let _ = connector_context::parse(t);
    let _ = curl_test::parse(t);
    let _ = fptriage::version::Version::parse(t);
    for (_, line) in numbered_lines(t) {
        let _ = connector_log::parse_line(line);
        if let Some(time) = syslog::parse_line(line).and_then(|s| s.time) {
            let _ = time.resolve(2020);
            let _ = time.resolve(i16::MAX);
            let _ = time.resolve(i16::MIN);
        }
        let _ = fptriage::version::Version::parse(line);
    }
});
