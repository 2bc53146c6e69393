// Package jstest holds no library code: its test proves that the official
// Azure JavaScript SDK (@azure/identity and @azure/keyvault-secrets, pinned in
// package.json) reads secrets from the emulator through App Service and IMDS
// managed identity, configured by nothing but the client environment lines
// the emulator prints at start-up.
//
// The test runs getsecret.mjs with Node. It needs node_modules, which
// scripts/test installs with `npm ci` in this directory; without them the test
// skips, or fails when the CI environment variable is set.
package jstest
