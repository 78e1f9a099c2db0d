// A server component importing the SDK (it touches no browser global at import or construction),
// and the client component that registers.
import { ExotelWebClient, version } from 'exotel-voice-sdk';
import Phone from './Phone';

export const dynamic = 'force-dynamic';

export default function Page() {
  const client = new ExotelWebClient();
  return (
    <main>
      <p id="server">{`server: ${typeof ExotelWebClient} ${typeof client.getCall()} ${version}`}</p>
      <Phone />
    </main>
  );
}
