"""What every matter shares — an appeal (诉求) and an application (办件) alike: the actor and its one
authorisation check, the transition table reader, the keyed hash-chained history, deadlines and
lights, attachments checked by content, keyset paging, query codes, and domain events published
after commit. The apps that own matters build on this; nothing here imports them."""
