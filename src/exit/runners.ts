/**
 * Runners by the part they play in an exit. Names only: validation and the exit-readiness section need to
 * know which steps export, never how (the engine does not import runners).
 */

/** Runners that take data out of the provider; their throughput is the sample the projection rests on. */
export const exportRunners: readonly string[] = ['s3.export', 'ssh.dump'];
