// getsecret.mjs reads one secret (or lists the vault) with the official Azure
// JavaScript SDK, configured only through the environment an app on Azure
// would see. jstest_test.go runs it against the emulator; it is also a quick
// manual check of a running emulator (start it with -env-file, then
// `set -a; . that-file; set +a` before running node).
//
// Usage:
//   node getsecret.mjs [--credential KIND] [--client-id ID] [--reveal] NAME
//   node getsecret.mjs [--credential KIND] [--client-id ID] --list [--page-size N]
// KIND is managed (default), default, environment, secret or certificate.
//
// The vault is $AZURE_KEYVAULT_URL. The managed-identity source is whatever
// @azure/identity picks from the environment (IDENTITY_ENDPOINT +
// IDENTITY_HEADER for App Service; AZURE_POD_IDENTITY_AUTHORITY_HOST for IMDS).
// The service-principal kinds read AZURE_TENANT_ID, AZURE_CLIENT_ID and
// AZURE_CLIENT_SECRET (secret) or AZURE_CLIENT_CERTIFICATE_PATH (certificate)
// and authenticate at $AZURE_AUTHORITY_HOST; environment is
// EnvironmentCredential, which picks between them.
//
// Output, one JSON object on stdout:
//   get:     {"name", "version", "id", "enabled", "contentType"} plus "value"
//            only with --reveal, so a log of a run never holds the secret;
//   list:    {"names": [...sorted], "pages": number of pages fetched};
//   failure: {"error": {"code", "statusCode", "name"}} and exit status 1.
// Bad usage exits with status 2. Error messages go to stderr; the SDK's
// messages carry the service's error text, never a secret value.

import { parseArgs } from "node:util";

const usage =
  "usage: node getsecret.mjs [--credential KIND] [--client-id ID] [--reveal] NAME\n" +
  "       node getsecret.mjs [--credential KIND] [--client-id ID] --list [--page-size N]\n" +
  "KIND: managed, default, environment, secret, certificate";
const credentialKinds = ["managed", "default", "environment", "secret", "certificate"];

function fail(status, message) {
  process.stderr.write(message + "\n");
  process.exit(status);
}

let args;
try {
  args = parseArgs({
    allowPositionals: true,
    options: {
      credential: { type: "string", default: "managed" },
      "client-id": { type: "string" },
      reveal: { type: "boolean", default: false },
      list: { type: "boolean", default: false },
      "page-size": { type: "string" },
    },
  });
} catch (err) {
  fail(2, `${err.message}\n${usage}`);
}
const { values: opts, positionals } = args;

const vaultURL = process.env.AZURE_KEYVAULT_URL;
if (!vaultURL) {
  fail(2, `AZURE_KEYVAULT_URL is not set\n${usage}`);
}
if (opts.list ? positionals.length !== 0 : positionals.length !== 1) {
  fail(2, usage);
}
let pageSize;
if (opts["page-size"] !== undefined) {
  pageSize = Number(opts["page-size"]);
  if (!opts.list || !Number.isInteger(pageSize) || pageSize < 1) {
    fail(2, `--page-size needs --list and a positive integer\n${usage}`);
  }
}

if (!credentialKinds.includes(opts.credential)) {
  fail(2, `unknown --credential ${JSON.stringify(opts.credential)}\n${usage}`);
}

// The SDK is loaded only once the invocation is known to be good: loading
// it is most of a run's time, and bad usage needs none of it.
const {
  ClientCertificateCredential,
  ClientSecretCredential,
  DefaultAzureCredential,
  EnvironmentCredential,
  ManagedIdentityCredential,
} = await import("@azure/identity");
const { SecretClient } = await import("@azure/keyvault-secrets");

// The emulator's authority is not a public cloud's: instance discovery
// (a call to the public cloud's metadata endpoint) must be off, as for any
// private authority.
const entraOptions = { disableInstanceDiscovery: true };

function makeCredential() {
  const clientId = opts["client-id"];
  const env = process.env;
  switch (opts.credential) {
    case "managed":
      return clientId ? new ManagedIdentityCredential({ clientId }) : new ManagedIdentityCredential();
    case "environment":
      return new EnvironmentCredential(entraOptions);
    case "secret":
      return new ClientSecretCredential(env.AZURE_TENANT_ID, env.AZURE_CLIENT_ID, env.AZURE_CLIENT_SECRET, entraOptions);
    case "certificate":
      return new ClientCertificateCredential(
        env.AZURE_TENANT_ID,
        env.AZURE_CLIENT_ID,
        { certificatePath: env.AZURE_CLIENT_CERTIFICATE_PATH },
        entraOptions,
      );
  }
  return new DefaultAzureCredential(
    clientId ? { ...entraOptions, managedIdentityClientId: clientId } : entraOptions,
  );
}

// The emulator's vault is served at https://127.0.0.1:PORT/, while the
// challenge names https://vault.azure.net: the SDK's check that the two
// belong together has to be off, as for any vault not under vault.azure.net.
const client = new SecretClient(vaultURL, makeCredential(), {
  disableChallengeResourceVerification: true,
});

async function getSecret(name) {
  const secret = await client.getSecret(name);
  const out = {
    name: secret.name,
    version: secret.properties.version,
    id: secret.properties.id,
    enabled: secret.properties.enabled,
    contentType: secret.properties.contentType,
  };
  if (opts.reveal) {
    out.value = secret.value;
  }
  return out;
}

async function listSecrets() {
  const names = [];
  let pages = 0;
  for await (const page of client.listPropertiesOfSecrets().byPage({ maxPageSize: pageSize })) {
    pages++;
    for (const properties of page) {
      names.push(properties.name);
    }
  }
  names.sort();
  return { names, pages };
}

try {
  const result = opts.list ? await listSecrets() : await getSecret(positionals[0]);
  process.stdout.write(JSON.stringify(result) + "\n");
} catch (err) {
  // RestError carries the service's error code (e.g. Forbidden,
  // SecretNotFound); credential failures only have a class name.
  const error = {
    code: err?.code ?? err?.name ?? "Error",
    statusCode: err?.statusCode,
    name: err?.name,
  };
  process.stdout.write(JSON.stringify({ error }) + "\n");
  process.stderr.write(`${error.code}: ${err?.message ?? err}\n`);
  process.exitCode = 1;
}
