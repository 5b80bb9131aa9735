#!/usr/bin/env python3
"""The insights-core way, for the benchmark: extract the bundle to a temporary folder, then run a
four-check rule (connector.log errors, connector.properties, pmtool SSEConnector state, the
EventHandler socket in netstat) through insights' specs, parsers and a rule.

Usage: python3 benches/insights_rule.py <bundle.tar.gz>   (pip install insights-core)
"""

import sys

from insights import Parser, make_fail, make_pass, parser, rule
from insights.core import dr
from insights.core.archives import extract
from insights.core.context import HostContext
from insights.core.spec_factory import SpecSet, glob_file


class Specs(SpecSet):
    connector_log = glob_file("/*/dir-archives/var-log/connector/connector.log*", context=HostContext)
    connector_properties = glob_file("/*/dir-archives/etc/sf/connector.properties", context=HostContext)
    pmtool = glob_file("/*/command-outputs/*pmtool status.output", context=HostContext)
    netstat = glob_file("/*/command-outputs/*netstat*", context=HostContext)


@parser(Specs.connector_log)
class ConnectorLog(Parser):
    def parse_content(self, content):
        self.errors = [l for l in content if "level=error" in l and ("no such host" in l or "i/o timeout" in l)]


@parser(Specs.connector_properties)
class ConnectorProperties(Parser):
    def parse_content(self, content):
        self.props = dict(l.split("=", 1) for l in content if "=" in l and not l.startswith("#"))


@parser(Specs.pmtool)
class Pmtool(Parser):
    def parse_content(self, content):
        self.sse = next((l for l in content if l.startswith("SSEConnector")), "")


@parser(Specs.netstat)
class Netstat(Parser):
    def parse_content(self, content):
        self.socket = [l for l in content if "EventHandler_SSEConnector" in l]


@rule(ConnectorLog, ConnectorProperties, Pmtool, Netstat)
def sse_checks(logs, props, pmtool, netstat):
    # glob_file specs give a list of parsed files each.
    errors = sum(len(l.errors) for l in logs)
    running = any("Running" in p.sse for p in pmtool)
    connected = any("CONNECTED" in l for n in netstat for l in n.socket)
    if errors or not running or not connected:
        return make_fail("SSE_BROKEN", errors=errors, fqdn=props[0].props.get("connector_fqdn"))
    return make_pass("SSE_OK")


if __name__ == "__main__":
    with extract(sys.argv[1]) as ex:
        # A HostContext rooted at the extracted folder: the bundle is not a sosreport/insights
        # archive, so insights cannot pick a context by itself.
        broker = dr.Broker()
        broker[HostContext] = HostContext(root=ex.tmp_dir)
        broker = dr.run(dr.get_dependency_graph(sse_checks), broker=broker)
        print(broker.get(sse_checks))
