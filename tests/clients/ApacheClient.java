// ApacheClient.java - Apache HttpClient 4 (Debian's libhttpclient-java, 4.5.x: the library
// under Cyberduck, sardine and many Java WebDAV clients) for client_matrix.py.
//
// Usage: java -cp httpclient.jar:httpcore.jar:commons-logging.jar:commons-codec.jar:DIR \
//            ApacheClient URL1 URL2 [User-Agent]
// One CloseableHttpClient (HttpClients.createDefault(): pooled, keep-alive): request 1 PROPFIND
// URL1 with Depth: 1, request 2 GET URL2. No User-Agent argument: the library's default
// ("Apache-HttpClient/4.5.x (Java/17...)"). Socket timeout 8 s: a hang becomes an error.
// The API does not show 1xx ("interim": null); "reused" compares the local port of the
// connection each request went out on. Prints one JSON line
// {"requests": [{"status", "body", "interim", "reused", "error"}, ...]}.
import java.util.ArrayList;
import java.util.List;
import org.apache.http.HttpInetConnection;
import org.apache.http.client.config.RequestConfig;
import org.apache.http.client.methods.CloseableHttpResponse;
import org.apache.http.client.methods.HttpUriRequest;
import org.apache.http.client.methods.RequestBuilder;
import org.apache.http.client.protocol.HttpClientContext;
import org.apache.http.impl.client.CloseableHttpClient;
import org.apache.http.impl.client.HttpClients;
import org.apache.http.util.EntityUtils;

public class ApacheClient {
    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: ApacheClient URL1 URL2 [User-Agent]");
            System.exit(2);
        }
        RequestConfig rc = RequestConfig.custom().setConnectTimeout(5000).setSocketTimeout(8000).build();
        List<String> out = new ArrayList<>();
        int firstPort = -1;
        try (CloseableHttpClient client = args.length > 2
                ? HttpClients.custom().setDefaultRequestConfig(rc).setUserAgent(args[2]).build()
                : HttpClients.custom().setDefaultRequestConfig(rc).build()) {
            for (int i = 0; i < 2; i++) {
                HttpUriRequest req = i == 0
                        ? RequestBuilder.create("PROPFIND").setUri(args[0]).addHeader("Depth", "1").build()
                        : RequestBuilder.get(args[1]).build();
                HttpClientContext ctx = HttpClientContext.create();
                Integer status = null;
                String body = "", error = null, reused = "null";
                try (CloseableHttpResponse r = client.execute(req, ctx)) {
                    status = r.getStatusLine().getStatusCode();
                    HttpInetConnection conn = ctx.getConnection(HttpInetConnection.class);
                    int port = conn.getLocalPort();
                    if (i == 0) firstPort = port;
                    else reused = String.valueOf(port == firstPort);
                    body = r.getEntity() == null ? "" : EntityUtils.toString(r.getEntity(), "UTF-8");
                } catch (Exception e) {
                    error = e.toString();
                }
                out.add("{\"status\": " + status + ", \"body\": " + Json.str(body) + ", \"interim\": null, \"reused\": "
                        + reused + ", \"error\": " + Json.str(error) + "}");
            }
        }
        System.out.println("{\"requests\": [" + String.join(", ", out) + "]}");
    }
}
