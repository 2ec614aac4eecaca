// Verifies a Standard Webhooks signature with the reference npm library `standardwebhooks`.
// usage: node verify_signature.mjs [FILE.json]   (reads stdin without FILE)
// input: {"secret": "whsec_...", "id": "msg_...", "timestamp": 1700000000, "body": "...",
//         "signature": "v1,..."}
// exit 0 when the signature verifies, 1 when it does not, 2 on bad input.
import { readFileSync } from "node:fs";
import { Webhook } from "standardwebhooks";

let input;
try {
  input = JSON.parse(readFileSync(process.argv[2] ?? 0, "utf8"));
} catch (e) {
  console.error(`verify_signature: cannot read input: ${e.message}`);
  process.exit(2);
}
const headers = {
  "webhook-id": input.id,
  "webhook-timestamp": String(input.timestamp),
  "webhook-signature": input.signature,
};
try {
  new Webhook(input.secret).verify(input.body, headers, { jsonParse: false });
  console.log("verify_signature: ok");
  process.exit(0);
} catch (e) {
  console.log(`verify_signature: rejected: ${e.message}`);
  process.exit(1);
}
