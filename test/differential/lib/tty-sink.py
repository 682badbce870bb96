# A console socket like conmon's or containerd's: accepts connections, takes
# each pty master from the SCM_RIGHTS message and appends everything read from
# it to OUT (pty names are not printed: they differ from run to run).
# Runs until killed; one thread per pty.
import array, os, socket, sys, threading
path, out = sys.argv[1], sys.argv[2]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(4)
print('listening', flush=True)
lock = threading.Lock()

def pump(master):
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            return
        if not chunk:
            return
        with lock, open(out, 'ab') as f:
            f.write(chunk)

while True:
    conn, _ = srv.accept()
    fds = array.array('i')
    msg, anc, _, _ = conn.recvmsg(4096, socket.CMSG_LEN(4))
    for level, kind, data in anc:
        fds.frombytes(data[:4])
    if fds:
        threading.Thread(target=pump, args=(fds[0],), daemon=True).start()
