import * as fs from "node:fs";
import { TDengineStandin } from "./tests/standin/standin";
import { FakeKubernetes } from "./tests/lifecycle/fake-kubernetes";
import { addressing } from "./tests/lifecycle/fixture";
(async () => {
  const standin = new TDengineStandin({ rootPassword: "Td-Probe-1", timeScale: 1 });
  const url = await standin.start();
  const kube = new FakeKubernetes(standin, addressing, "tdengine");
  const kc = await kube.serve();
  kube.applyStatefulSet(3);
  fs.writeFileSync("/tmp/h6-pp/kubeconfig", kc); fs.writeFileSync("/tmp/h6-pp/url", url);
  console.log("ready", url);
})();
