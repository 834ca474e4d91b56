"""A real OpenLDAP server (Debian's slapd) for the tests: its own folder, a minimal slapd.conf, a test directory
loaded with slapadd, a free port on 127.0.0.1. Stopped (by its process id) when the fixture ends."""

import shutil
import socket
import subprocess
import time
from pathlib import Path

SLAPD = "/usr/sbin/slapd"
SLAPADD = "/usr/sbin/slapadd"
SUFFIX = "dc=essen,dc=example"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PASSWORD = "directory-root"  # noqa: S105
SERVICE_DN = f"cn=planner,ou=services,{SUFFIX}"
SERVICE_PASSWORD = "planner-service"  # noqa: S105

CONF = """include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile {folder}/slapd.pid
database mdb
maxsize 10485760
suffix "{suffix}"
rootdn "{root_dn}"
rootpw {root_password}
directory {folder}/data
access to attrs=userPassword by anonymous auth by * none
access to * by * read
"""


def person(uid: str, name: str, mail: str, password: str, *, disabled: bool = False) -> str:
    return "\n".join([
        f"dn: uid={uid},ou=people,{SUFFIX}", "objectClass: inetOrgPerson", f"uid: {uid}", f"cn: {name}",
        f"sn: {name.split()[-1]}", f"displayName: {name}", f"mail: {mail}", f"userPassword: {password}",
        *(["employeeType: disabled"] if disabled else []), "",
    ])


def group(cn: str, *uids: str) -> str:
    return "\n".join([f"dn: cn={cn},ou=groups,{SUFFIX}", "objectClass: groupOfNames", f"cn: {cn}",
                      *[f"member: uid={u},ou=people,{SUFFIX}" for u in uids], ""])


BASE = f"""dn: {SUFFIX}
objectClass: dcObject
objectClass: organization
dc: essen
o: Stadt Essen (Test)

dn: ou=people,{SUFFIX}
objectClass: organizationalUnit
ou: people

dn: ou=groups,{SUFFIX}
objectClass: organizationalUnit
ou: groups

dn: ou=services,{SUFFIX}
objectClass: organizationalUnit
ou: services

dn: {SERVICE_DN}
objectClass: person
cn: planner
sn: planner
userPassword: {SERVICE_PASSWORD}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SlapdServer:
    def __init__(self, folder: Path, entries: list[str]):
        self.folder = folder
        self.port = free_port()
        self.url = f"ldap://127.0.0.1:{self.port}"
        (folder / "data").mkdir(parents=True)
        conf = folder / "slapd.conf"
        conf.write_text(CONF.format(folder=folder, suffix=SUFFIX, root_dn=ROOT_DN, root_password=ROOT_PASSWORD))
        ldif = folder / "directory.ldif"
        ldif.write_text("\n".join([BASE, *entries]))
        subprocess.run([SLAPADD, "-f", str(conf), "-l", str(ldif)], check=True, capture_output=True)
        self.conf = conf
        self.process: subprocess.Popen | None = None

    @staticmethod
    def available() -> bool:
        return Path(SLAPD).exists() and shutil.which("slapadd") is not None or Path(SLAPADD).exists()

    def start(self):
        self.process = subprocess.Popen(
            [SLAPD, "-f", str(self.conf), "-h", f"ldap://127.0.0.1:{self.port}/", "-d", "0"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError("slapd did not start: " + self.process.stderr.read().decode()[-2000:]) from None
                time.sleep(0.1)
        raise RuntimeError("slapd did not open its port")

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None and self.process.stderr:
            self.process.stderr.close()
        self.process = None

    def provider(self, **extra) -> dict:
        """An entry for the planner's SSO_PROVIDERS: a service account searches, the user's bind checks."""
        return {"name": "rathaus", "label": "Rathaus-Konto (Active Directory)", "type": "ldap", "url": self.url,
                "bind_dn": SERVICE_DN, "bind_password": SERVICE_PASSWORD, "user_base": f"ou=people,{SUFFIX}",
                "user_filter": "(&(objectClass=inetOrgPerson)(uid={username})(!(employeeType=disabled)))",
                "group_base": f"ou=groups,{SUFFIX}", "timeout": 3, **extra}
