/**
 * How connectors write a certificate's SHA-1 thumbprint. Entra shows 40 uppercase hex digits;
 * Informatica CAI's `SHA1_Fingerprint` (and Java's keytool) want "20 pairs (1 byte) of hex
 * characters separated by a colon" (../shared/reference/004_ba614d1e6f9bcab4.txt).
 */
export function colonSeparatedThumbprint(hex: string): string {
  return (hex.toUpperCase().match(/.{2}/g) ?? []).join(":");
}
