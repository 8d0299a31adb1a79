/* The ceiling the gateway is measured against: a thin relay on libmosquitto that republishes
 * every reading, QoS 1 in and out, with no journal, no engine and no limit on messages in flight.
 *
 *   cc -O2 -o relay relay.c -lmosquitto && ./relay PORT [MAX_IN_FLIGHT]
 *
 * Subscribes to sensors/+/temperature on a persistent session (client id "relay", so readings
 * queue in the broker while it is stopped, as the gateway's do) and publishes each message
 * unchanged to relay/<topic>. MAX_IN_FLIGHT defaults to 0, unlimited. SIGTERM disconnects cleanly. */
#include <mosquitto.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

static struct mosquitto *client;

static void on_connect(struct mosquitto *m, void *userdata, int rc) {
    (void)userdata;
    if (rc == 0) mosquitto_subscribe(m, NULL, "sensors/+/temperature", 1);
}

static void on_subscribe(struct mosquitto *m, void *userdata, int mid, int count, const int *granted) {
    (void)m; (void)userdata; (void)mid; (void)count; (void)granted;
    printf("relay subscribed\n");
    fflush(stdout);
}

static void on_message(struct mosquitto *m, void *userdata, const struct mosquitto_message *msg) {
    (void)userdata;
    char topic[4200];
    snprintf(topic, sizeof topic, "relay/%s", msg->topic);
    mosquitto_publish(m, NULL, topic, msg->payloadlen, msg->payload, 1, false);
}

static void on_term(int sig) {
    (void)sig;
    mosquitto_disconnect(client);
}

int main(int argc, char **argv) {
    if (argc < 2 || argc > 3) { fprintf(stderr, "usage: relay PORT [MAX_IN_FLIGHT]\n"); return 64; }
    mosquitto_lib_init();
    client = mosquitto_new("relay", false, NULL);
    if (!client) { perror("mosquitto_new"); return 1; }
    mosquitto_int_option(client, MOSQ_OPT_TCP_NODELAY, 1);
    mosquitto_max_inflight_messages_set(client, argc == 3 ? (unsigned)atoi(argv[2]) : 0);
    mosquitto_connect_callback_set(client, on_connect);
    mosquitto_subscribe_callback_set(client, on_subscribe);
    mosquitto_message_callback_set(client, on_message);
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    int rc = mosquitto_connect(client, "127.0.0.1", atoi(argv[1]), 60);
    if (rc != MOSQ_ERR_SUCCESS) { fprintf(stderr, "connect: %s\n", mosquitto_strerror(rc)); return 1; }
    mosquitto_loop_forever(client, -1, 1);
    mosquitto_destroy(client);
    mosquitto_lib_cleanup();
    return 0;
}
