import { join } from "node:path";
import { assertEquals, assertThrows } from "../tests/assert.ts";
import { scratchDir } from "../tests/helpers.ts";
import { DissectError } from "../engine/errors.ts";
import { executionProviders, useExecutionProviders } from "./providers.ts";

Deno.test("the CPU is the default provider, and always the last resort", () => {
  assertEquals(executionProviders(), ["cpu"]);
  useExecutionProviders(["cpu"]);
  assertEquals(executionProviders(), ["cpu"]);
});

Deno.test("cuda without onnxruntime-node's CUDA provider is one line saying how to install it", async () => {
  await using tmp = await scratchDir();
  // A binding folder without the provider's library, as the npm package installs it.
  const cpuOnly = [join(tmp.path, "cpu-only")];
  const e = assertThrows(
    () => useExecutionProviders(["cuda"], "executionProviders", cpuOnly),
    DissectError,
    '"cuda" needs',
  );
  assertEquals((e as DissectError).code, "CONFIG");
  assertEquals(e.message.includes("\n"), false);
  assertEquals((e as DissectError).hint?.includes("ONNXRUNTIME_NODE_INSTALL=cuda12"), true);
  assertEquals(executionProviders(), ["cpu"], "a refused choice changes nothing");
  // Where the provider's library is installed, cuda is used first, the CPU after it.
  await Deno.writeFile(join(tmp.path, "libonnxruntime_providers_cuda.so"), new Uint8Array(1));
  try {
    useExecutionProviders(["cuda"], "executionProviders", [join(tmp.path, "missing"), tmp.path]);
    assertEquals(executionProviders(), ["cuda", "cpu"]);
  } finally {
    useExecutionProviders(["cpu"]);
  }
});
