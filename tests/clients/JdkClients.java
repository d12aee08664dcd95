// JdkClients.java - the JDK's own HTTP clients for client_matrix.py (JDK 17, no dependencies).
//
// Usage: java JdkClients httpclient|huc URL1 URL2 [User-Agent]
//   httpclient  java.net.http.HttpClient, HTTP/1.1 forced (no h2c upgrade attempt):
//               request 1 PROPFIND URL1 with Depth: 1, request 2 GET URL2, one client (one pool).
//   huc         java.net.HttpURLConnection: it refuses PROPFIND, so request 1 is GET URL1 with
//               Depth: 1; request 2 GET URL2 (the JDK's keep-alive cache reuses the connection).
//               Read timeout 8 s: a hang after a 102 becomes an error, not a stuck test.
// No User-Agent argument: the library's default (Java-http-client/17..., Java/17...).
// Neither API shows 1xx responses: "interim" is null. Prints one JSON line
// {"requests": [{"status", "body", "interim", "reused", "error"}, ...]}.
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

public class JdkClients {
    static String result(Integer status, String body, String error) {
        return "{\"status\": " + status + ", \"body\": " + Json.str(body) + ", \"interim\": null, \"reused\": null, \"error\": "
                + Json.str(error) + "}";
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: java JdkClients httpclient|huc URL1 URL2 [User-Agent]");
            System.exit(2);
        }
        String ua = args.length > 3 ? args[3] : null;
        List<String> out = new ArrayList<>();
        if (args[0].equals("httpclient")) {
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(5)).build();
            for (int i = 1; i <= 2; i++) {
                HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create(args[i])).timeout(Duration.ofSeconds(20));
                if (i == 1) rb.method("PROPFIND", HttpRequest.BodyPublishers.noBody()).header("Depth", "1");
                else rb.GET();
                if (ua != null) rb.header("User-Agent", ua);
                try {
                    HttpResponse<String> r = client.send(rb.build(), HttpResponse.BodyHandlers.ofString());
                    out.add(result(r.statusCode(), r.body(), null));
                } catch (Exception e) {
                    out.add(result(null, "", e.toString()));
                }
            }
        } else if (args[0].equals("huc")) {
            for (int i = 1; i <= 2; i++) {
                Integer status = null;
                String body = "", error = null;
                try {
                    HttpURLConnection c = (HttpURLConnection) new URL(args[i]).openConnection();
                    c.setConnectTimeout(5000);
                    c.setReadTimeout(8000);
                    if (i == 1) c.setRequestProperty("Depth", "1");
                    if (ua != null) c.setRequestProperty("User-Agent", ua);
                    status = c.getResponseCode();
                    InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
                    if (in != null) {
                        ByteArrayOutputStream buf = new ByteArrayOutputStream();
                        in.transferTo(buf);
                        in.close();  // read to the end and closed: the connection goes back to the cache
                        body = buf.toString(StandardCharsets.UTF_8);
                    }
                } catch (Exception e) {
                    error = e.toString();
                }
                out.add(result(status, body, error));
            }
        } else {
            System.err.println("unknown mode " + args[0]);
            System.exit(2);
        }
        System.out.println("{\"requests\": [" + String.join(", ", out) + "]}");
    }
}
