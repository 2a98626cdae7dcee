const MARKER = Buffer.from('~Module signature appended~\n');
/** struct module_signature: algo, hash, id_type, signer_len, key_id_len, pad[3], sig_len (be32). */
const SIGNATURE_INFO_SIZE = 12;

/**
 * The module without its appended signature. The guest kernel does not enforce signatures
 * (CONFIG_MODULE_SIG_FORCE is off) but still hashes and RSA-checks every signed module it loads,
 * which costs tens of milliseconds per module under TCG. The .deb we unpack is already verified
 * by apt.
 */
export function stripModuleSignature(module: Buffer): Buffer {
  if (module.length < MARKER.length + SIGNATURE_INFO_SIZE || !module.subarray(module.length - MARKER.length).equals(MARKER)) return module;
  const infoEnd = module.length - MARKER.length;
  const signatureLength = module.readUInt32BE(infoEnd - 4);
  const end = infoEnd - SIGNATURE_INFO_SIZE - signatureLength;
  return end > 0 ? module.subarray(0, end) : module;
}
