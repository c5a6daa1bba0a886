# signalmesh seed list signatures (Specs/bootstrap.md): ed25519 <signer> <base64 signature>
ed25519 sm1d2ptwgv2flme0ecwtqswtu3zwe4phatccfe40pxq07m63y5ppyfsj4r3mu fqJbjlT5e2O3XHvNfjRPvqQfgbQpLoVhINpkvoJjnWjhNms+zXwq1InS/B07ElmoM/3DJzv3ie2VTOYQAEEzDw==
