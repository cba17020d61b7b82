#!/bin/sh
# Regenerates the S/MIME test certificates (see README.md). Run from this folder; needs openssl 3.
set -eu
days=36500
ext() { # $1 file, $2 email
  cat > "$1" <<X
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=emailProtection
subjectAltName=email:$2
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
X
}
ca() { # $1 name, $2 CN
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.crt" -days $days -subj "/O=Mailing.Toolkit tests/CN=$2" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -addext "subjectKeyIdentifier=hash"
}
user() { # $1 name, $2 email, $3 CN, $4 issuer
  openssl req -new -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "/O=Mailing.Toolkit tests/CN=$3/emailAddress=$2"
  ext "$1.ext" "$2"
  openssl x509 -req -in "$1.csr" -CA "$4.crt" -CAkey "$4.key" -set_serial "0x$(openssl rand -hex 8)" -days $days -sha256 -extfile "$1.ext" -out "$1.crt"
  rm "$1.csr" "$1.ext"
}
ca ca "Test SMIME Root"
ca other-ca "Untrusted SMIME Root"
user alice alice@example.test "Alice Sender" ca
user bob bob@example.test "Bob Recipient" ca
user carol carol@example.test "Carol Hidden" ca
user mallory mallory@example.test "Mallory Untrusted" other-ca
# An expired certificate of the trusted CA: openssl ca is the one command of openssl 3.0 that takes explicit dates.
openssl req -new -newkey rsa:2048 -nodes -keyout eve.key -out eve.csr -subj "/O=Mailing.Toolkit tests/CN=Eve Expired/emailAddress=eve@example.test"
ext eve.ext eve@example.test
mkdir -p ca-db && : > ca-db/index.txt && echo 1001 > ca-db/serial
cat > ca-db/ca.cnf <<X
[ ca ]
default_ca = test
[ test ]
database = ca-db/index.txt
serial = ca-db/serial
new_certs_dir = ca-db
default_md = sha256
policy = any
unique_subject = no
[ any ]
commonName = supplied
X
openssl ca -batch -config ca-db/ca.cnf -cert ca.crt -keyfile ca.key -in eve.csr -out eve.crt -extfile eve.ext \
  -startdate 20200101000000Z -enddate 20210101000000Z -notext
rm -r ca-db eve.csr eve.ext
# Alice as PKCS#12 with a password, and as an encrypted PKCS#8 PEM key.
openssl pkcs12 -export -in alice.crt -inkey alice.key -certfile ca.crt -out alice.pfx -passout pass:alice-pfx-secret -name alice
openssl pkcs8 -topk8 -in alice.key -out alice.encrypted.key -v2 aes-256-cbc -passout pass:alice-pem-secret
rm ca.key other-ca.key
