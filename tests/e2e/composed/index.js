// A program of a user's own: it installs pulumi-tdengine from the packed tarball (not this repository's
// sources), composes TDengineCluster with its own k8s.Provider, and passes the same kubeconfig to the
// lifecycle steps. Its dynamic providers must resolve @kubernetes/client-node from this program's
// node_modules.
"use strict";
const pulumi = require("@pulumi/pulumi");
const k8s = require("@pulumi/kubernetes");
const { TDengineCluster } = require("pulumi-tdengine");

const config = new pulumi.Config();
const kubeconfig = config.requireSecret("kubeconfig");
const provider = new k8s.Provider("analytics-cluster", { kubeconfig });

const db = new TDengineCluster("analytics-db", {
    namespace: "analytics",
    replicas: 1,
    timezone: "UTC",
    storage: { size: "1Gi" },
    rootPassword: config.requireSecret("rootPassword"),
    lifecycle: { kubeconfig },
}, { provider });

exports.restEndpoint = db.restEndpoint;
exports.dnodes = db.dnodes;
