/* A health endpoint in an image that has nothing else: no shell, no libc, no tools.
   Answers every request on port 8080 with 200 and {"status":"ok"}. */
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void) {
    int server = socket(AF_INET, SOCK_STREAM, 0);
    int yes = 1;
    setsockopt(server, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(8080), .sin_addr.s_addr = INADDR_ANY};
    if (bind(server, (struct sockaddr *)&address, sizeof address) != 0 || listen(server, 16) != 0) return 1;
    const char reply[] = "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{\"status\":\"ok\"}";
    for (;;) {
        int client = accept(server, 0, 0);
        if (client < 0) continue;
        char request[1024];
        (void)read(client, request, sizeof request);
        (void)write(client, reply, sizeof reply - 1);
        close(client);
    }
}
