import { fileURLToPath } from 'node:url'
import { compileForHost, type CryptoBackend } from '../../devkit/firmware/host-build'

// The host builds the tests share with the devkit (the virtual board), plus the test programs'.
export * from '../../devkit/firmware/host-build'

/** Builds test/firmware/bootstrap_vectors.c; run it with the vector file's path. */
export function buildBootstrapVectorTest(backend: CryptoBackend = 'mbedtls'): Promise<string> {
  return compileForHost({
    name: `bootstrap_vectors_${backend}`,
    sources: [fileURLToPath(new URL('./bootstrap_vectors.c', import.meta.url))],
    backend,
  })
}
