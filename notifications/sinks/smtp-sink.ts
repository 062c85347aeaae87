import { SMTPServer } from 'smtp-server';
import { keepReceived, type RunningSink } from './sink-files';

/** A mail server for development and tests: accepts every message and keeps it as an .eml file under `dir`. */
export async function startSmtpSink(opts: { dir: string; port?: number; host?: string }): Promise<RunningSink> {
  const host = opts.host ?? '127.0.0.1';
  const server = new SMTPServer({
    // Loopback only: no TLS to set up, and any login is welcome.
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    allowInsecureAuth: true,
    onAuth: (auth, _session, callback) => callback(null, { user: auth.username }),
    size: 1024 * 1024,
    logger: false,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        keepReceived(opts.dir, 'email', 'eml', Buffer.concat(chunks)).then(
          () => callback(),
          (err: Error) => callback(err),
        );
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // A sender that dies mid-session resets its connection; that is its affair, not a reason
  // for the sink (and `npm start` with it) to go down on an unhandled 'error'.
  server.on('error', () => {});
  const address = server.server.address();
  return {
    host,
    port: typeof address === 'object' && address ? address.port : (opts.port ?? 0),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
